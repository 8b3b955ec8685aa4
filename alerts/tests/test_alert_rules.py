"""Each rule kind: what it reads, when its condition holds, what explains it."""

import datetime as dt

import pytest

from alerts.evaluation import observe
from alerts.jobs import evaluate_alert_rules
from alerts.models import Alert
from alerts.tests.alert_helpers import MINUTE, NOW, forget_caches, make_rule, store
from analytics.models import Anomaly, Detector, Forecast
from ingestion.samples import Sample
from ingestion.series_ends import mark_ended

NAN = float("nan")
SECOND = dt.timedelta(seconds=1)


@pytest.fixture(autouse=True)
def _clean_caches(db):
    forget_caches()


@pytest.fixture
def detector(db):
    return Detector.objects.create(name="test-detector", selector="cpu_usage_percent")


def mark_anomalies(detector, series, minutes_ago, score=0.9, value=95.0, expected=50.0):
    for minutes in minutes_ago:
        Anomaly.objects.create(
            detector=detector,
            series=series,
            ts=NOW - minutes * MINUTE,
            score=score,
            value=value,
            expected=expected,
            lo=expected - 10,
            hi=expected + 10,
            direction=1,
        )


def alert_hosts(rule) -> list[str]:
    return sorted(a.labels["host"] for a in Alert.objects.filter(rule=rule, state="firing"))


def test_a_threshold_rule_fires_on_the_series_whose_latest_value_crosses(db):
    store([50.0] * 9 + [95.0], labels={"host": "web-1"})
    store([95.0] * 9 + [50.0], labels={"host": "web-2"})
    store([99.0] * 10, metric="memory_used_percent", labels={"host": "web-3"})
    rule = make_rule(selector='cpu_usage_percent{host=~"web-.*"}', operator=">", threshold=90)

    evaluate_alert_rules(NOW)

    assert alert_hosts(rule) == ["web-1"]
    alert = Alert.objects.get(rule=rule)
    assert (alert.value, alert.details["ts"]) == (95.0, NOW.isoformat())
    assert alert.labels == {
        "__name__": "cpu_usage_percent",
        "alertname": "HighCPU",
        "host": "web-1",
        "severity": "warning",
    }


@pytest.mark.parametrize(("operator", "hosts"), [("<", ["low"]), ("<=", ["low", "mid"]), ("==", ["mid"])])
def test_threshold_operators_compare_as_written(db, operator, hosts):
    for host, value in (("low", 10.0), ("mid", 20.0), ("high", 30.0)):
        store([value], labels={"host": host})
    rule = make_rule(operator=operator, threshold=20)

    evaluate_alert_rules(NOW)

    assert alert_hosts(rule) == hosts


def test_a_no_data_rule_fires_for_a_series_silent_longer_than_its_window(db):
    store([1.0] * 5, labels={"host": "gone"}, end=NOW - 10 * MINUTE)
    store([1.0] * 5, labels={"host": "alive"}, end=NOW - MINUTE)
    rule = make_rule(kind="no_data", window_seconds=300, threshold=None)

    evaluate_alert_rules(NOW)

    assert alert_hosts(rule) == ["gone"]


def end_series(series, at: dt.datetime) -> None:
    """A staleness marker for `series` at `at`, as remote write records one."""
    mark_ended(
        [Sample(series.metric, tuple(sorted(series.labels.items())), int(at.timestamp() * 1e6), NAN, 1)]
    )


def test_a_series_that_prometheus_marked_stale_has_no_data_at_once(db):
    ended = store([95.0] * 5, labels={"host": "ended"}, end=NOW - MINUTE)
    back = store([95.0] * 5, labels={"host": "back"}, end=NOW - 3 * MINUTE)
    store([95.0] * 5, labels={"host": "alive"}, end=NOW - MINUTE)
    end_series(ended, NOW - 30 * SECOND)
    end_series(back, NOW - 2 * MINUTE - 30 * SECOND)
    store([95.0], labels={"host": "back"}, end=NOW)  # a point after its marker: running again
    no_data = make_rule(name="Gone", kind="no_data", window_seconds=300, threshold=None)
    high = make_rule(name="High", threshold=90)

    evaluate_alert_rules(NOW)

    assert alert_hosts(no_data) == ["ended"]  # within the window, yet ended
    assert alert_hosts(high) == ["alive", "back"]  # an ended series' last value no longer counts


def test_a_staleness_marker_later_than_the_evaluation_is_not_seen_yet(db):
    ended = store([1.0] * 5, labels={"host": "ended"}, end=NOW - MINUTE)
    end_series(ended, NOW + MINUTE)
    rule = make_rule(kind="no_data", window_seconds=300, threshold=None)

    evaluate_alert_rules(NOW)

    assert alert_hosts(rule) == []


def test_an_anomaly_rule_fires_when_enough_of_the_window_is_anomalous(db, detector):
    busy = store([95.0] * 10, labels={"host": "busy"}, end=NOW)
    blip = store([95.0] * 10, labels={"host": "blip"}, end=NOW)
    mark_anomalies(detector, busy, range(6))  # 6 of the 10 points in the window
    mark_anomalies(detector, blip, range(2))
    mark_anomalies(detector, blip, range(2, 8), score=0.3)  # too weak to count
    rule = make_rule(kind="anomaly", min_score=0.8, min_fraction=0.5, window_seconds=600, threshold=None)

    evaluate_alert_rules(NOW)

    assert alert_hosts(rule) == ["busy"]
    alert = Alert.objects.get(rule=rule)
    assert (alert.value, alert.expected, alert.lo, alert.hi, alert.score) == (95.0, 50.0, 40.0, 60.0, 0.9)
    assert alert.details["fraction"] == 0.6 and alert.details["n_points"] == 10


def test_a_point_scored_by_two_detectors_counts_once(db, detector):
    series = store([95.0] * 10, labels={"host": "busy"})
    other = Detector.objects.create(name="other", selector="cpu_usage_percent")
    mark_anomalies(detector, series, range(3))
    mark_anomalies(other, series, range(3), score=0.95)
    rule = make_rule(kind="anomaly", min_fraction=0.5, window_seconds=600, threshold=None)

    (observation,) = observe(rule, NOW).values()

    assert (observation.condition, observation.details["n_anomalous"], observation.score) == (False, 3, 0.95)


def test_an_anomaly_rule_can_be_limited_to_one_detector(db, detector):
    series = store([95.0] * 10, labels={"host": "busy"})
    other = Detector.objects.create(name="other", selector="cpu_usage_percent")
    mark_anomalies(other, series, range(10))
    rule = make_rule(kind="anomaly", detector=detector, window_seconds=600, threshold=None)

    evaluate_alert_rules(NOW)

    assert alert_hosts(rule) == []


def test_a_composite_rule_does_not_fire_on_anomalous_small_values(db, detector):
    quiet = store([3.0] * 10, labels={"host": "quiet"})
    loud = store([95.0] * 10, labels={"host": "loud"})
    mark_anomalies(detector, quiet, range(10), value=3.0, expected=0.5)
    mark_anomalies(detector, loud, range(10))
    composite = make_rule(kind="anomaly_threshold", operator=">", threshold=80, window_seconds=600)
    anomaly_only = make_rule(name="AnyAnomaly", kind="anomaly", window_seconds=600, threshold=None)

    evaluate_alert_rules(NOW)

    assert alert_hosts(anomaly_only) == ["loud", "quiet"]
    assert alert_hosts(composite) == ["loud"]
    assert Alert.objects.get(rule=composite).value == 95.0


def forecast(series, crossing_hours: int):
    points = [
        {
            "ts": (NOW + dt.timedelta(hours=h)).isoformat(),
            "mean": 70.0 + h,
            "lo-80": 60.0 + h,
            "hi-80": 80.0 + h,
        }
        for h in range(1, 25)
    ]
    points[crossing_hours - 1]["hi-80"] = 91.0
    return Forecast.objects.create(
        series=series,
        model="test",
        step_seconds=3600,
        trained_from=NOW - dt.timedelta(days=7),
        trained_to=NOW,
        points=points,
        levels=[80],
    )


@pytest.mark.parametrize(("horizon_hours", "fires"), [(6, True), (2, False)])
def test_a_forecast_rule_fires_when_the_band_crosses_within_the_horizon(db, horizon_hours, fires):
    series = store([70.0], metric="disk_used_percent", labels={"host": "db-1", "mount": "/"})
    forecast(series, crossing_hours=3)
    rule = make_rule(
        name="DiskFilling",
        kind="forecast",
        selector="disk_used_percent",
        operator=">",
        threshold=90,
        horizon_seconds=horizon_hours * 3600,
    )

    evaluate_alert_rules(NOW)

    alerts = list(Alert.objects.filter(rule=rule))
    assert len(alerts) == int(fires)
    if fires:
        alert = alerts[0]
        assert (alert.value, alert.expected, alert.lo, alert.hi) == (91.0, 73.0, 63.0, 91.0)
        assert alert.details["crosses_at"] == (NOW + dt.timedelta(hours=3)).isoformat()


@pytest.mark.parametrize("kind", ["threshold", "no_data", "anomaly", "anomaly_threshold", "forecast"])
def test_observing_a_rule_costs_one_query_however_many_series(db, detector, kind, django_assert_num_queries):
    for i in range(5):
        series = store([95.0] * 10, labels={"host": f"web-{i}"})
        mark_anomalies(detector, series, range(10))
        forecast(series, crossing_hours=1)
    rule = make_rule(kind=kind, window_seconds=600)

    with django_assert_num_queries(1):
        observations = observe(rule, NOW)

    assert len(observations) == 5
