from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self):
        from core.schedule import register_jobs
        from reports.periodic import periodic_jobs

        register_jobs(periodic_jobs)
