"""tsmon's health as the database tells it: cheap queries, read at any time.

The `/metrics` collector and the `watch_tsmon` job both read these, so a
Prometheus alert and tsmon's own alert rules see the same figures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import NamedTuple

from django.db import connection
from django.db.models import Count, Max, Min

from alerts.models import Delivery, Notification, NotificationChannel
from analytics.choices import DetectorKind
from analytics.jobs import watched_series
from analytics.models import Detector
from core.durations import TimeRangeError, parse_duration
from core.models import JobHeartbeat
from core.scheduler import PeriodicJob
from ingestion.models import Series

# A job is overdue when it has not succeeded for this many of its intervals.
OVERDUE_INTERVALS = 3
# tsmon's own series (written by watch_tsmon, or scraped from /metrics):
# they do not count as ingestion.
OWN_METRIC_PREFIX = "tsmon_"


class JobHealth(NamedTuple):
    """How one periodic job is doing."""

    job: str
    interval_seconds: float
    last_success_at: dt.datetime | None
    last_failure_at: dt.datetime | None
    consecutive_failures: int
    last_duration_seconds: float | None
    # Time since the last success, in intervals; None before anything ran.
    intervals_since_success: float | None

    @property
    def overdue(self) -> bool:
        return self.intervals_since_success is not None and self.intervals_since_success > OVERDUE_INTERVALS


def job_health(now: dt.datetime, jobs: Sequence[PeriodicJob]) -> list[JobHealth]:
    """Every job of `jobs` (core.schedule's): its last success and failure, and how long ago it succeeded.

    A job that never succeeded counts from its first run; one never run at
    all counts from the first run of any job (when tsmon's jobs started),
    so a job that never starts still becomes overdue.
    """
    beats = {beat.job: beat for beat in JobHeartbeat.objects.all()}
    jobs_started = min((beat.first_run_at for beat in beats.values()), default=None)
    health = []
    for job in jobs:
        beat = beats.get(job.name)
        since = (beat.last_success_at or beat.first_run_at) if beat else jobs_started
        behind = None if since is None else max((now - since).total_seconds(), 0.0) / job.interval_seconds
        health.append(
            JobHealth(
                job.name,
                job.interval_seconds,
                beat.last_success_at if beat else None,
                beat.last_failure_at if beat else None,
                beat.consecutive_failures if beat else 0,
                beat.last_duration_seconds if beat else None,
                behind,
            )
        )
    return health


class DetectorLag(NamedTuple):
    detector: str
    kind: str
    lag_seconds: float


def detection_lags() -> list[DetectorLag]:
    """How far each enabled detector is behind the data it watches.

    Per series, the time between the newest point and the last point the
    detector scored (a series never scored: its first point); for a peer
    detector, which judges whole windows, the time since its next window
    was complete. The detector's lag is the largest over its series, and 0
    when it is caught up. The newest point is the series' `last_ts`, kept
    by the writer to within a minute, so a lag under a minute reads as 0.
    """
    return [
        DetectorLag(detector.name, detector.kind, _detector_lag(detector))
        for detector in Detector.objects.filter(enabled=True).order_by("name")
    ]


def _detector_lag(detector: Detector) -> float:
    watched, params = watched_series(detector).order_by().values("id").query.sql_with_params()
    if detector.kind == DetectorKind.PEER_GROUP:
        # Series of groups not judged yet (no watermark) are not waiting:
        # too small a group, or its first window is not over.
        scored_to, join, window = "st.watermark", "JOIN", _window_seconds(detector)
    else:
        scored_to, join, window = "COALESCE(st.watermark, s.first_ts)", "LEFT JOIN", 0.0
    with connection.cursor() as cursor:
        # One pass over the watched series and their states: no points read.
        cursor.execute(
            f"""
            SELECT max(extract(epoch FROM s.last_ts - {scored_to}))
            FROM ingestion_series s
            {join} analytics_detectorstate st ON st.series_id = s.id AND st.detector_id = %s
            WHERE s.id IN ({watched}) AND s.last_ts IS NOT NULL
            """,
            [detector.pk, *params],
        )
        (behind,) = cursor.fetchone()
    return max(float(behind or 0.0) - window, 0.0)


def _window_seconds(detector: Detector) -> float:
    try:
        return parse_duration(str(detector.params.get("window", "1h")), "window").total_seconds()
    except TimeRangeError:
        return 0.0  # the detector itself will fail and say why; count its lag in full


def newest_point_at() -> dt.datetime | None:
    """The time of the newest point of any series but tsmon's own (None: no series)."""
    others = Series.objects.exclude(metric__startswith=OWN_METRIC_PREFIX)
    return others.aggregate(newest=Max("last_ts"))["newest"]


def series_count() -> int:
    return Series.objects.count()


def deliveries_by_outcome() -> list[tuple[str, str, int]]:
    """(channel, outcome, attempts) of every notification delivery ever tried."""
    rows = Delivery.objects.order_by().values("channel__name", "outcome").annotate(n=Count("id"))
    return [(row["channel__name"], row["outcome"], row["n"]) for row in rows]


class NotificationQueue(NamedTuple):
    pending: int
    oldest_due_at: dt.datetime | None
    channels_disabled: int


def notification_queue() -> NotificationQueue:
    """The notifications waiting to be sent, and channels switched off by failures."""
    # Served by the partial index of unprocessed notifications.
    waiting = Notification.objects.filter(processed_at__isnull=True).aggregate(
        n=Count("id"), oldest=Min("next_attempt_at")
    )
    disabled = NotificationChannel.objects.exclude(disabled_reason="").count()
    return NotificationQueue(waiting["n"], waiting["oldest"], disabled)
