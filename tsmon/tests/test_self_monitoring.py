"""tsmon watching itself: `watch_tsmon` writes its health as series, and the
built-in rules fire and resolve through the ordinary alert machinery."""

import datetime as dt

import pytest

from alerts.jobs import evaluate_alert_rules
from alerts.models import Alert, AlertRule, Notification, NotificationChannel
from analytics.jobs import run_detectors
from analytics.models import Detector
from core.heartbeats import record_run
from core.schedule import default_jobs
from ingestion.models import Series
from ingestion.writer import write_samples
from monitoring.jobs import JOB_RULE_FOR_SECONDS, SELF_ALERT_RULES, watch_tsmon
from tsmon.testing import make_samples
from tsmon.tests.metrics_helpers import forget_caches

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)
JOB_RULE, LAG_RULE, IDLE_RULE, SILENT_RULE = (rule["name"] for rule in SELF_ALERT_RULES)

SCHEDULE = default_jobs()


@pytest.fixture(autouse=True)
def _fresh_caches():
    forget_caches()


def jobs_succeeded(at: dt.datetime, but=()) -> None:
    for job in default_jobs():
        if job.name not in but:
            record_run(job.name, at, 0.1)


def store_load(end: dt.datetime, n_points: int = 1, host: str = "web-1") -> Series:
    start = end - (n_points - 1) * MINUTE
    write_samples(make_samples("load", {"host": host}, start, n_points, 60, [1.0] * n_points))
    return Series.objects.get(metric="load", labels={"host": host})


def watch_and_evaluate(now: dt.datetime) -> None:
    watch_tsmon(now, SCHEDULE)
    evaluate_alert_rules(now)


def alert_states(rule_name: str) -> dict[str, str]:
    """The latest alert of the rule per series key, by state."""
    alerts = Alert.objects.filter(rule__name=rule_name).select_related("series").order_by("started_at", "id")
    return {alert.series.key: alert.state for alert in alerts}


def test_it_writes_tsmon_health_as_series_of_its_own():
    Detector.objects.update(enabled=False)
    Detector.objects.create(name="fast", selector="load")
    store_load(NOW - 30 * MINUTE, n_points=11)  # never scored: 10 minutes behind
    jobs_succeeded(NOW - 2 * MINUTE)

    watch_tsmon(NOW, SCHEDULE)

    stored = {s.key: s for s in Series.objects.filter(metric__startswith="tsmon_").select_related("source")}
    assert {s.source.name for s in stored.values()} == {"tsmon"}
    assert set(stored) >= {
        "tsmon_up",
        "tsmon_series",
        'tsmon_job_intervals_since_success{job="detect"}',
        'tsmon_detection_lag_seconds{detector="fast",kind="series"}',
        "tsmon_ingest_idle_seconds",
    }
    values = dict(
        Series.objects.filter(metric__startswith="tsmon_", point__ts=NOW).values_list("key", "point__value")
    )
    assert values['tsmon_job_intervals_since_success{job="detect"}'] == 2.0
    assert values['tsmon_job_intervals_since_success{job="forecast"}'] == pytest.approx(2 / 60)
    assert values['tsmon_detection_lag_seconds{detector="fast",kind="series"}'] == 600.0
    assert values["tsmon_ingest_idle_seconds"] == 30 * 60.0  # tsmon's own series do not count


def test_the_built_in_rules_are_created_once_and_a_disabled_one_stays_disabled():
    watch_tsmon(NOW, SCHEDULE)
    AlertRule.objects.filter(name=LAG_RULE).update(enabled=False, threshold=3600)

    outcome = watch_tsmon(NOW + MINUTE, SCHEDULE)

    assert outcome["rules_created"] == 0
    assert AlertRule.objects.filter(name__in=[JOB_RULE, LAG_RULE, IDLE_RULE, SILENT_RULE]).count() == 4
    assert AlertRule.objects.values_list("enabled", "threshold").get(name=LAG_RULE) == (False, 3600)


def test_a_job_that_stops_succeeding_fires_and_resolves_once_it_succeeds_again():
    channel = NotificationChannel.objects.create(name="ops", kind="webhook", url="http://hook.invalid/")
    watch_tsmon(NOW - 10 * MINUTE, SCHEDULE)  # creates the rules
    AlertRule.objects.get(name=JOB_RULE).channels.add(channel)
    record_run("detect", NOW - 10 * MINUTE, 1.0)  # then never again: 10 runs missed
    jobs_succeeded(NOW, but={"detect"})

    watch_and_evaluate(NOW)
    # Pending first: a long job holding up the scheduler is no failure yet.
    assert alert_states(JOB_RULE) == {'tsmon_job_intervals_since_success{job="detect"}': "pending"}
    assert not Notification.objects.exists()
    later = NOW + dt.timedelta(seconds=JOB_RULE_FOR_SECONDS)
    jobs_succeeded(later, but={"detect"})
    watch_and_evaluate(later)

    assert alert_states(JOB_RULE) == {'tsmon_job_intervals_since_success{job="detect"}': "firing"}
    message = Notification.objects.get().payload
    assert message["status"] == "firing"
    assert message["alerts"][0]["labels"]["job"] == "detect"
    assert (
        message["alerts"][0]["annotations"]["summary"]
        == "job detect has not succeeded for 20 of its intervals"
    )

    jobs_succeeded(later + MINUTE)
    watch_and_evaluate(later + MINUTE)

    assert alert_states(JOB_RULE) == {'tsmon_job_intervals_since_success{job="detect"}': "resolved"}
    assert Notification.objects.filter(status="resolved").count() == 1


def test_ingestion_that_stops_fires_and_resolves_when_points_arrive_again():
    jobs_succeeded(NOW)
    store_load(NOW - 20 * MINUTE)

    watch_and_evaluate(NOW)

    assert alert_states(IDLE_RULE) == {"tsmon_ingest_idle_seconds": "firing"}
    assert Alert.objects.get(rule__name=IDLE_RULE).value == 20 * 60

    store_load(NOW + MINUTE)
    jobs_succeeded(NOW + MINUTE)
    watch_and_evaluate(NOW + MINUTE)

    assert alert_states(IDLE_RULE) == {"tsmon_ingest_idle_seconds": "resolved"}


def test_without_any_series_ingestion_has_not_stopped():
    jobs_succeeded(NOW)

    watch_and_evaluate(NOW)

    assert not Series.objects.filter(metric="tsmon_ingest_idle_seconds").exists()
    assert alert_states(IDLE_RULE) == {}


def test_detection_that_falls_behind_fires_and_resolves_once_it_catches_up():
    Detector.objects.update(enabled=False)
    Detector.objects.create(name="fast", selector="load")
    store_load(NOW, n_points=30)  # 29 minutes of points, none scored
    jobs_succeeded(NOW)

    watch_and_evaluate(NOW)

    key = 'tsmon_detection_lag_seconds{detector="fast",kind="series"}'
    assert alert_states(LAG_RULE) == {key: "firing"}

    run_detectors(NOW + MINUTE)
    jobs_succeeded(NOW + MINUTE)
    watch_and_evaluate(NOW + MINUTE)

    assert alert_states(LAG_RULE) == {key: "resolved"}


def test_a_silent_watcher_fires_its_no_data_rule():
    jobs_succeeded(NOW)
    watch_and_evaluate(NOW)

    evaluate_alert_rules(NOW + 10 * MINUTE)  # the rules are evaluated; watch_tsmon did not run

    assert alert_states(SILENT_RULE) == {"tsmon_up": "firing"}

    watch_and_evaluate(NOW + 11 * MINUTE)

    assert alert_states(SILENT_RULE) == {"tsmon_up": "resolved"}
