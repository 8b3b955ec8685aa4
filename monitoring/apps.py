from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "Monitoring of tsmon itself"

    def ready(self):
        from core.schedule import register_jobs
        from monitoring.periodic import periodic_jobs

        register_jobs(periodic_jobs)
