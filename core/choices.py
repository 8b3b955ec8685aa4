"""Enumerations of the core app."""

from django.db import models


class JobOutcome(models.TextChoices):
    RUNNING = "running", "running"
    OK = "ok", "ok"
    FAILED = "failed", "failed"
    ABANDONED = "abandoned", "abandoned (its process ended mid-run)"
