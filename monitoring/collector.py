"""The figures `/metrics` reads from the database at scrape time.

A prometheus_client collector: each scrape runs a handful of cheap queries
(no points are read), so every worker answers the same, and the figures
survive restarts and hold with Celery workers on other machines. When the
database does not answer, `tsmon_database_up` says 0 and the rest is left
out, while the counters of the write paths are still served.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import psycopg2
from django.db import DatabaseError
from django.utils import timezone
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from core.schedule import default_jobs
from monitoring import queries

logger = logging.getLogger(__name__)


class DatabaseCollector(Collector):
    """tsmon's health as the database tells it (see monitoring.queries)."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("tsmon_database_up", "1 if the database answered this scrape's queries.")
        try:
            families = list(self._families())
        except (DatabaseError, psycopg2.Error) as exc:
            logger.warning("metrics: the database did not answer: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _families(self) -> Iterator[Metric]:
        now = timezone.now()
        yield from _series_families()
        yield from _job_families(queries.job_health(now, default_jobs()))
        yield from _detection_families(queries.detection_lags())
        yield from _notification_families()


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _series_families() -> Iterator[Metric]:
    yield _gauge("tsmon_series", "Series stored.", queries.series_count())
    newest = queries.newest_point_at()
    if newest is not None:
        yield _gauge(
            "tsmon_newest_point_timestamp_seconds",
            "Time of the newest point of any series but tsmon's own (to within a minute).",
            newest.timestamp(),
        )


def _job_families(health: list[queries.JobHealth]) -> Iterator[Metric]:
    interval = GaugeMetricFamily(
        "tsmon_job_interval_seconds", "How often each periodic job runs.", labels=["job"]
    )
    success = GaugeMetricFamily(
        "tsmon_job_last_success_timestamp_seconds",
        "When each periodic job last succeeded (jobs that never did are left out).",
        labels=["job"],
    )
    failure = GaugeMetricFamily(
        "tsmon_job_last_failure_timestamp_seconds",
        "When each periodic job last failed (jobs that never did are left out).",
        labels=["job"],
    )
    failures = GaugeMetricFamily(
        "tsmon_job_consecutive_failures", "Failed runs of each job since its last success.", labels=["job"]
    )
    duration = GaugeMetricFamily(
        "tsmon_job_last_duration_seconds", "How long each job's last run took.", labels=["job"]
    )
    behind = GaugeMetricFamily(
        "tsmon_job_intervals_since_success",
        "Time since each job last succeeded, in its intervals (never succeeded: since it or tsmon's jobs started).",
        labels=["job"],
    )
    for job in health:
        interval.add_metric([job.job], job.interval_seconds)
        failures.add_metric([job.job], job.consecutive_failures)
        if job.last_success_at is not None:
            success.add_metric([job.job], job.last_success_at.timestamp())
        if job.last_failure_at is not None:
            failure.add_metric([job.job], job.last_failure_at.timestamp())
        if job.last_duration_seconds is not None:
            duration.add_metric([job.job], job.last_duration_seconds)
        if job.intervals_since_success is not None:
            behind.add_metric([job.job], job.intervals_since_success)
    yield from (interval, success, failure, failures, duration, behind)
    yield _gauge(
        "tsmon_jobs_overdue",
        f"Periodic jobs that have not succeeded for more than {queries.OVERDUE_INTERVALS} of their intervals.",
        sum(job.overdue for job in health),
    )


def _detection_families(lags: list[queries.DetectorLag]) -> Iterator[Metric]:
    lag = GaugeMetricFamily(
        "tsmon_detection_lag_seconds",
        "How far each enabled detector is behind the newest points it watches (0: caught up).",
        labels=["detector", "kind"],
    )
    for row in lags:
        lag.add_metric([row.detector, row.kind], row.lag_seconds)
    yield lag


def _notification_families() -> Iterator[Metric]:
    deliveries = CounterMetricFamily(
        "tsmon_notification_deliveries",
        "Attempts to deliver a notification, by channel and outcome (ok, temporary_failure, permanent_failure).",
        labels=["channel", "outcome"],
    )
    for channel, outcome, n_attempts in queries.deliveries_by_outcome():
        deliveries.add_metric([channel, outcome], n_attempts)
    yield deliveries
    queue = queries.notification_queue()
    yield _gauge("tsmon_notifications_pending", "Notifications waiting to be sent or retried.", queue.pending)
    if queue.oldest_due_at is not None:
        yield _gauge(
            "tsmon_notifications_oldest_due_timestamp_seconds",
            "When the longest-waiting pending notification was due.",
            queue.oldest_due_at.timestamp(),
        )
    yield _gauge(
        "tsmon_notification_channels_disabled",
        "Channels switched off after a permanent delivery failure.",
        queue.channels_disabled,
    )
