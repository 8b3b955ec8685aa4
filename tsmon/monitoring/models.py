"""The latest outcome of each periodic job, one row per job."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class JobHeartbeat(models.Model):
    """When a periodic job last succeeded and last failed.

    One row per job, updated at the end of every run (analytics' JobRun
    keeps a row per run of the heavy jobs; a row per run of a job that runs
    every 5 seconds would be mostly noise). A sharded job counts as having
    succeeded when any of its shards did.
    """

    job = models.CharField(max_length=100, unique=True)
    # The first run recorded: the clock of "not succeeded since" for a job
    # that has only failed so far.
    first_run_at = models.DateTimeField(default=timezone.now)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_duration_seconds = models.FloatField(default=0.0)

    class Meta:
        ordering = ["job"]

    def __str__(self) -> str:
        return self.job
