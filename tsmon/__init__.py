"""tsmon: time-series analytics and anomaly detection on PostgreSQL."""

# Load the Celery app with Django so that tasks bind to it.
from tsmon.celery import app as celery_app

__all__ = ["celery_app"]
