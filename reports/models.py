"""Reports: what was asked for, how far its generation got, and what it said.

A report stores its content (JSON), its rendered HTML and the time range of
the data it was built from, so reading it a year later shows what it said
then, whatever the data or the code have become since.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from reports.choices import Frequency, ReportKind, ReportStatus

# A running report whose progress has not moved for this long belongs to a
# worker that died; the next round of `process_pending_reports` runs it again.
STALE_AFTER = dt.timedelta(minutes=15)


class ReportSchedule(models.Model):
    """A report made every day or every week, optionally e-mailed."""

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=16, choices=ReportKind.choices)
    selector = models.TextField(blank=True, help_text="Prometheus-style selector; empty means every series")
    params = models.JSONField(default=dict, blank=True)
    frequency = models.CharField(max_length=8, choices=Frequency.choices, default=Frequency.WEEKLY)
    # Reports are made at this hour (UTC); weekly ones on Mondays.
    hour = models.PositiveSmallIntegerField(default=6)
    email_to = ArrayField(models.EmailField(), default=list, blank=True)
    enabled = models.BooleanField(default=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def due_at(self, now: dt.datetime) -> dt.datetime:
        """The latest time at or before `now` this schedule should have run."""
        due = now.astimezone(dt.UTC).replace(hour=self.hour, minute=0, second=0, microsecond=0)
        if due > now:
            due -= dt.timedelta(days=1)
        if self.frequency == Frequency.WEEKLY:
            due -= dt.timedelta(days=due.weekday())
        return due

    def is_due(self, now: dt.datetime) -> bool:
        if not self.enabled:
            return False
        return self.last_run_at is None or self.last_run_at < self.due_at(now)

    def period(self) -> dt.timedelta:
        """The span of data one report looks back over."""
        return dt.timedelta(days=1 if self.frequency == Frequency.DAILY else 7)


class Report(models.Model):
    """One generated report, from the request to its stored content."""

    kind = models.CharField(max_length=16, choices=ReportKind.choices)
    title = models.CharField(max_length=200, blank=True)
    # The scope: which series the report covers (empty: every series).
    selector = models.TextField(blank=True)
    params = models.JSONField(default=dict, blank=True)
    # The time range of the data the report reads, fixed when it is requested.
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    status = models.CharField(max_length=8, choices=ReportStatus.choices, default=ReportStatus.PENDING)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    stage = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.CharField(max_length=150, blank=True)
    schedule = models.ForeignKey(
        ReportSchedule, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    progress_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(default=list, blank=True)  # the plain-words lines, for lists
    content = models.JSONField(null=True, blank=True)
    html = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The list page and API: newest first, optionally of one kind.
            models.Index(fields=["kind", "-created_at"], name="report_kind_created_idx"),
            # The queue: pending reports, oldest first.
            models.Index(
                fields=["created_at"],
                name="report_pending_idx",
                condition=models.Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return self.title or f"{self.get_kind_display()} report #{self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status in (ReportStatus.DONE, ReportStatus.FAILED)

    def is_stale(self, now: dt.datetime) -> bool:
        """Is this a running report nobody works on any more?"""
        last = self.progress_at or self.started_at
        return self.status == ReportStatus.RUNNING and (last is None or now - last > STALE_AFTER)
