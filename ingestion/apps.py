from django.apps import AppConfig


class IngestionConfig(AppConfig):
    name = "ingestion"
    verbose_name = "Ingestion"

    def ready(self):
        from core.schedule import register_jobs
        from ingestion.periodic import periodic_jobs

        register_jobs(periodic_jobs)
        from ingestion import schema  # noqa: F401  (registers the OpenAPI auth scheme)
