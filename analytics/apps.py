from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Analytics"

    def ready(self):
        from analytics.alerts_periodic import periodic_jobs as alert_jobs
        from analytics.periodic import periodic_jobs
        from core.schedule import register_jobs

        register_jobs(periodic_jobs)
        register_jobs(alert_jobs)
