"""Enumerations of the reports app."""

from django.db import models


class ReportKind(models.TextChoices):
    FORECAST = "forecast", "forecast"
    ANOMALY = "anomaly", "anomalies"
    CAPACITY = "capacity", "capacity"


class ReportStatus(models.TextChoices):
    PENDING = "pending", "waiting to run"
    RUNNING = "running", "running"
    DONE = "done", "done"
    FAILED = "failed", "failed"


class Frequency(models.TextChoices):
    DAILY = "daily", "daily"
    WEEKLY = "weekly", "weekly"
