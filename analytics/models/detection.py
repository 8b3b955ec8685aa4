"""Detectors and the anomalies and forecasts they store."""

from __future__ import annotations

from django.db import models, transaction
from django.utils import timezone

from analytics.choices import AnomalyKind, DetectorKind, Direction
from ingestion.models import Series


class Detector(models.Model):
    """Which series to watch and with which algorithm.

    The series are chosen by a selector (`cpu_usage_percent{host=~"web-.*"}`),
    so a new host is watched from its first point on.
    """

    name = models.CharField(max_length=100, unique=True)
    selector = models.TextField(help_text='Prometheus-style selector, e.g. cpu_usage_percent{host=~"web-.*"}')
    kind = models.CharField(max_length=16, choices=DetectorKind.choices, default=DetectorKind.SERIES)
    # Keyword arguments of the algorithm (StreamingDetector or the peer scorer).
    params = models.JSONField(default=dict, blank=True)
    # Anomalies are stored from this score up; lower scores are only "normal".
    min_score = models.FloatField(default=0.5)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        """Save; a change of `kind` or `params` also forgets what the detector learned.

        The learned state of each series was built with the old parameters
        and would go on using them, silently. So the states go, and with
        them the anomalies and events they found: the next detection runs
        score each series' history afresh with the new parameters, and what
        is stored is again what a backtest with them gives. (A run already
        underway finishes with the old parameters; the next change redoes it.)
        """
        changed = self.has_new_parameters()
        with transaction.atomic():
            super().save(*args, **kwargs)
            if changed:
                self.forget_learning()

    def has_new_parameters(self) -> bool:
        """Whether `kind` or `params` differ from the stored row (a saved detector only)."""
        return (
            self.pk is not None
            and not Detector.objects.filter(pk=self.pk, kind=self.kind, params=self.params).exists()
        )

    def forget_learning(self) -> None:
        """Delete this detector's learned states, anomalies and events."""
        self.states.all().delete()
        self.anomalies.all().delete()
        self.events.all().delete()


class DetectorState(models.Model):
    """A detector's learned state for one series and how far it has scored.

    `state` is the pickled streaming detector; `watermark` is the time of the
    last point it scored, so each run scores only newer points. `learning`
    says that point was still in the detector's warm-up (its first day and
    first fits, `StreamingDetector.warmup_seconds`): the series is scored but
    nothing is stored for it yet.
    """

    detector = models.ForeignKey(Detector, on_delete=models.CASCADE, related_name="states")
    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="detector_states")
    state = models.BinaryField(null=True)
    watermark = models.DateTimeField(null=True, blank=True)
    model_version = models.PositiveIntegerField(default=0)
    n_scored = models.BigIntegerField(default=0)
    learning = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["detector", "series"], name="one_state_per_detector_series")
        ]


class Anomaly(models.Model):
    """One point a detector scored as anomalous, with what it expected instead."""

    detector = models.ForeignKey(Detector, on_delete=models.CASCADE, related_name="anomalies")
    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="anomalies")
    ts = models.DateTimeField()
    kind = models.CharField(max_length=16, choices=AnomalyKind.choices, default=AnomalyKind.POINT)
    score = models.FloatField()
    value = models.FloatField()
    expected = models.FloatField(null=True)
    lo = models.FloatField(null=True)
    hi = models.FloatField(null=True)
    direction = models.SmallIntegerField(choices=Direction.choices, default=Direction.NONE)
    model_version = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "anomalies"
        ordering = ["ts", "series_id"]
        constraints = [
            # A re-run over the same points stores nothing twice.
            models.UniqueConstraint(
                fields=["detector", "series", "ts"], name="one_anomaly_per_detector_series_ts"
            )
        ]
        indexes = [
            # "anomalies of these series in this time range", the API's main query.
            models.Index(fields=["series", "ts"], name="anomaly_series_ts_idx"),
            # "anomalies in this time range" across all series (overview, reports).
            models.Index(fields=["ts"], name="anomaly_ts_idx"),
        ]


class AnomalyEvent(models.Model):
    """A run of consecutive anomalous points of one series: what people are told about."""

    detector = models.ForeignKey(Detector, on_delete=models.CASCADE, related_name="events")
    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="anomaly_events")
    kind = models.CharField(max_length=16, choices=AnomalyKind.choices, default=AnomalyKind.POINT)
    start = models.DateTimeField()
    end = models.DateTimeField()
    peak_score = models.FloatField()
    peak_ts = models.DateTimeField()
    n_points = models.PositiveIntegerField(default=1)
    direction = models.SmallIntegerField(choices=Direction.choices, default=Direction.NONE)

    class Meta:
        ordering = ["-start"]
        constraints = [
            models.UniqueConstraint(
                fields=["detector", "series", "start"], name="one_event_per_detector_series_start"
            )
        ]
        indexes = [
            # Events overlapping a time range: end >= range start, start < range end.
            models.Index(fields=["end", "start"], name="event_end_start_idx"),
            models.Index(fields=["series", "start"], name="event_series_start_idx"),
        ]

    @property
    def duration(self):
        return self.end - self.start


class Forecast(models.Model):
    """The latest forecast of one series, with its intervals and capacity estimate."""

    series = models.OneToOneField(Series, on_delete=models.CASCADE, related_name="forecast")
    created_at = models.DateTimeField(default=timezone.now)
    model = models.CharField(max_length=100)
    step_seconds = models.PositiveIntegerField()
    trained_from = models.DateTimeField()
    trained_to = models.DateTimeField()
    # [{"ts": ..., "mean": ..., "lo-80": ..., "hi-80": ..., "lo-95": ..., "hi-95": ...}, ...]
    points = models.JSONField(default=list)
    levels = models.JSONField(default=list)
    # Backtest on recent history: the model's error beside seasonal naive's.
    skill = models.JSONField(default=dict, blank=True)
    threshold = models.FloatField(null=True, blank=True)
    # When the mean and the interval edges reach `threshold` (null: not within the horizon).
    threshold_at = models.DateTimeField(null=True, blank=True)
    threshold_earliest = models.DateTimeField(null=True, blank=True)
    threshold_latest = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["series_id"]
