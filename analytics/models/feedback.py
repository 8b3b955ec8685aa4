"""What people told tsmon about its findings: anomaly events judged false positives."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from analytics.models.detection import AnomalyEvent
from ingestion.models import Series


class FalsePositive(models.Model):
    """A stretch of one series a person judged not to be an anomaly.

    It keeps the series and times of the event it was made from, not only a
    link: a detector whose parameters change forgets its events
    (`Detector.forget_learning`), and the judgement must outlive them, for
    the page to show it on the events found again there and for a backtest
    of new parameters to count what it would flag again.
    """

    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="false_positives")
    start = models.DateTimeField()
    end = models.DateTimeField()
    event = models.ForeignKey(
        AnomalyEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="false_positive_marks"
    )
    detector_name = models.CharField(max_length=100, blank=True)
    reason = models.TextField(blank=True)
    # A username: who judged it, shown beside the event.
    marked_by = models.CharField(max_length=150, blank=True)
    marked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-start", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event"], condition=Q(event__isnull=False), name="one_false_positive_per_event"
            ),
            models.CheckConstraint(
                condition=Q(end__gte=models.F("start")), name="false_positive_ends_after_start"
            ),
        ]
        indexes = [
            # "marks overlapping this event": same series, start <= event end.
            models.Index(fields=["series", "start"], name="false_positive_series_idx"),
        ]

    def __str__(self) -> str:
        return f"false positive on {self.series_id} {self.start:%Y-%m-%d %H:%M}"
