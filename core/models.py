"""What the core app stores: the record of job runs and each periodic job's heartbeat."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from core.choices import JobOutcome


class JobRun(models.Model):
    """One run of one job: when, over what, and how it ended."""

    job = models.CharField(max_length=100)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=JobOutcome.choices, default=JobOutcome.RUNNING)
    n_series = models.PositiveIntegerField(default=0)
    n_points = models.BigIntegerField(default=0)
    error = models.TextField(blank=True)
    worker = models.CharField(max_length=200, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "analytics_jobrun"  # where it was made, in the analytics app
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["job", "-started_at"], name="jobrun_job_started_idx")]

    def __str__(self) -> str:
        return f"{self.job} {self.started_at:%Y-%m-%d %H:%M:%S} {self.outcome}"


class JobHeartbeat(models.Model):
    """When a periodic job last succeeded and last failed.

    One row per job, updated at the end of every run (JobRun
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
        db_table = "monitoring_jobheartbeat"  # where it was made, in the monitoring app
        ordering = ["job"]

    def __str__(self) -> str:
        return self.job
