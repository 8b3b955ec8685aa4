from django.apps import AppConfig


class IngestionConfig(AppConfig):
    name = "ingestion"
    verbose_name = "Ingestion"

    def ready(self):
        from ingestion import schema  # noqa: F401  (registers the OpenAPI auth scheme)
