"""Enumerations of the ingestion app."""

from django.db import models


class SeriesKind(models.TextChoices):
    GAUGE = "gauge", "gauge"
    COUNTER = "counter", "counter"
