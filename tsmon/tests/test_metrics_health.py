"""The figures `/metrics` reads from the database: detection lag, job runs, notifications."""

import datetime as dt

import pytest
from django.db import OperationalError
from rest_framework.test import APIClient

from alerts.models import Delivery, Notification, NotificationChannel
from analytics.jobs import run_detectors, run_peer_detectors
from analytics.models import Detector
from core.heartbeats import record_run, with_heartbeat
from core.models import JobHeartbeat
from core.schedule import default_jobs, job_named
from ingestion.writer import write_samples
from tsmon.testing import make_samples
from tsmon.tests.metrics_helpers import forget_caches, scrape, value

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 11, 20, 0, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)


@pytest.fixture(autouse=True)
def _fresh_caches():
    forget_caches()


def write_load(host: str, first_minute: int, n_points: int) -> None:
    values = [50.0 + (i % 7) for i in range(n_points)]
    write_samples(make_samples("load", {"host": host}, START + first_minute * MINUTE, n_points, 60, values))


@pytest.fixture
def detector():
    Detector.objects.update(enabled=False)
    return Detector.objects.create(name="fast", selector="load", params={"min_train": 10})


# -- detection lag ----------------------------------------------------------------


def test_a_detector_that_has_not_scored_the_newest_points_lags_by_their_span(detector):
    write_load("a", 0, 30)
    run_detectors(START + 30 * MINUTE)  # scores up to minute 29
    write_load("a", 30, 10)  # minutes 30..39 arrive; detection does not run

    assert value(scrape(), "tsmon_detection_lag_seconds", detector="fast", kind="series") == 600

    run_detectors(START + 40 * MINUTE)

    assert value(scrape(), "tsmon_detection_lag_seconds", detector="fast", kind="series") == 0


def test_a_series_never_scored_lags_from_its_first_point(detector):
    write_load("a", 0, 30)
    run_detectors(START + 30 * MINUTE)
    write_load("b", 10, 21)  # minutes 10..30, never scored

    assert value(scrape(), "tsmon_detection_lag_seconds", detector="fast", kind="series") == 20 * 60


def test_a_peer_detector_lags_from_when_its_next_window_was_complete():
    Detector.objects.update(enabled=False)
    Detector.objects.create(
        name="peers", selector="load", kind="peer_group", params={"window": "1h", "step": "1m"}
    )
    for host in ("web-1", "web-2", "web-3"):
        write_load(host, 0, 181)  # 00:00 .. 03:00
    run_peer_detectors(START + 180 * MINUTE)  # judges the windows up to 03:00
    lag = "tsmon_detection_lag_seconds"
    assert value(scrape(), lag, detector="peers", kind="peer_group") == 0

    for host in ("web-1", "web-2", "web-3"):
        write_load(host, 181, 90)  # up to 04:30: the 03:00-04:00 window is complete since 04:00

    assert value(scrape(), lag, detector="peers", kind="peer_group") == 30 * 60


def test_a_disabled_detector_is_not_reported(detector):
    detector.enabled = False
    detector.save()

    assert ("tsmon_detection_lag_seconds", (("detector", "fast"), ("kind", "series"))) not in scrape()


# -- periodic jobs ----------------------------------------------------------------


def test_every_scheduled_job_records_its_runs():
    job_named("maintain_partitions").run(START)  # as the scheduler and Celery call it

    beat = JobHeartbeat.objects.get(job="maintain_partitions")
    assert beat.last_success_at == START and beat.consecutive_failures == 0
    assert {job.run.__wrapped__.__name__ for job in default_jobs()} >= {
        "run_detectors",
        "dispatch_notifications",
    }


def test_a_failing_run_is_recorded_and_the_error_still_raised():
    def broken(now):
        raise RuntimeError("disk on fire")

    run = with_heartbeat("broken", broken)
    for minutes in (0, 1):
        with pytest.raises(RuntimeError):
            run(START + minutes * MINUTE)

    beat = JobHeartbeat.objects.get(job="broken")
    assert (beat.last_success_at, beat.last_failure_at) == (None, START + MINUTE)
    assert beat.consecutive_failures == 2 and beat.last_error == "RuntimeError: disk on fire"
    assert beat.first_run_at == START


def test_a_success_clears_the_failure_count_and_keeps_the_last_failure():
    record_run("detect", START, 1.0, error="boom")
    record_run("detect", START + MINUTE, 2.5)

    beat = JobHeartbeat.objects.get(job="detect")
    assert (beat.last_success_at, beat.last_failure_at, beat.consecutive_failures) == (
        START + MINUTE,
        START,
        0,
    )
    assert beat.last_duration_seconds == 2.5


def test_a_run_that_ends_after_a_later_one_does_not_move_the_times_back():
    record_run("detect", START + MINUTE, 1.0)
    record_run("detect", START, 1.0)  # a slow Celery shard, started earlier

    assert JobHeartbeat.objects.get(job="detect").last_success_at == START + MINUTE


def test_jobs_are_exposed_with_their_last_success_and_whether_they_are_overdue():
    now = dt.datetime.now(dt.UTC)
    for job in default_jobs():
        record_run(job.name, now, 0.1)
    JobHeartbeat.objects.filter(job="dispatch_notifications").update(last_success_at=now - MINUTE)

    samples = scrape()

    assert (
        value(samples, "tsmon_job_last_success_timestamp_seconds", job="dispatch_notifications")
        == (now - MINUTE).timestamp()
    )
    assert value(samples, "tsmon_job_interval_seconds", job="dispatch_notifications") == 10
    assert value(samples, "tsmon_job_intervals_since_success", job="dispatch_notifications") >= 6
    assert value(samples, "tsmon_jobs_overdue") == 1


def test_a_job_that_never_ran_counts_from_when_the_first_job_ran():
    now = dt.datetime.now(dt.UTC)
    record_run("maintain_partitions", now - 10 * MINUTE, 0.1)

    samples = scrape()

    assert value(samples, "tsmon_job_intervals_since_success", job="detect") >= 10  # every 60 s
    assert ("tsmon_job_last_success_timestamp_seconds", (("job", "detect"),)) not in samples


# -- notifications ------------------------------------------------------------------


def test_deliveries_are_counted_by_channel_and_outcome():
    channel = NotificationChannel.objects.create(name="ops", kind="webhook", url="http://hook.invalid/")
    notification = Notification.objects.create(
        channel=channel, status="firing", group_key="{}", payload={}, created_at=START, next_attempt_at=START
    )
    for outcome in ("ok", "temporary_failure", "temporary_failure", "permanent_failure"):
        Delivery.objects.create(
            notification=notification, channel=channel, attempted_at=START, duration_ms=5, outcome=outcome
        )
    channel.disable("410 Gone", START)

    samples = scrape()

    deliveries = "tsmon_notification_deliveries_total"
    assert value(samples, deliveries, channel="ops", outcome="ok") == 1
    assert value(samples, deliveries, channel="ops", outcome="temporary_failure") == 2
    assert value(samples, deliveries, channel="ops", outcome="permanent_failure") == 1
    assert value(samples, "tsmon_notifications_pending") == 1
    assert value(samples, "tsmon_notifications_oldest_due_timestamp_seconds") == START.timestamp()
    assert value(samples, "tsmon_notification_channels_disabled") == 1


# -- the database away -----------------------------------------------------------------


def test_without_the_database_it_still_serves_the_counters_and_says_so(settings, monkeypatch):
    settings.TSMON_METRICS_PUBLIC = True  # no key to look up either

    def unreachable():
        raise OperationalError("could not connect to server")

    monkeypatch.setattr("monitoring.queries.series_count", unreachable)

    samples = scrape(APIClient())

    assert value(samples, "tsmon_database_up") == 0
    assert value(samples, "tsmon_points_accepted_total") is not None
    assert not any(name == "tsmon_series" for name, _ in samples)
