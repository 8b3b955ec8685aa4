"""Enumerations of the ingestion app."""

from django.db import models


class SeriesKind(models.TextChoices):
    GAUGE = "gauge", "gauge"
    COUNTER = "counter", "counter"


class ApiScope(models.TextChoices):
    WRITE = "write", "write points"
    READ = "read", "read data"
    ADMIN = "admin", "everything"
