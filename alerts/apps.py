from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Alerts"

    def ready(self):
        from alerts.periodic import periodic_jobs
        from core.schedule import register_jobs

        register_jobs(periodic_jobs)
