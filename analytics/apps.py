from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Analytics"

    def ready(self):
        from analytics.periodic import periodic_jobs
        from core.schedule import register_jobs

        register_jobs(periodic_jobs)
