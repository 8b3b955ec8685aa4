"""The 14-day replay of a rule: the same firings as the live evaluator."""

import datetime as dt

import numpy as np
import pytest
from django.utils import timezone

from alerts import rule_preview
from alerts.choices import RuleKind
from alerts.evaluation import evaluate_rule
from alerts.models import Alert, AlertRule
from analytics.models import Anomaly, Detector
from ingestion.models import Series
from ingestion.writer import write_samples
from tsmon.testing import make_samples

pytestmark = pytest.mark.django_db

MINUTES = 180


@pytest.fixture
def now():
    return timezone.now().replace(second=0, microsecond=0)


def cpu(now, values, host="web-1"):
    start = now - dt.timedelta(minutes=len(values) - 1)
    write_samples(make_samples("cpu_usage_percent", {"host": host}, start, len(values), values=values))
    return Series.objects.get(labels__host=host)


def hot_stretches():
    """Minutes of 95 % CPU among 20 %: 10 minutes, 2 minutes, then 20 minutes."""
    values = np.full(MINUTES, 20.0)
    values[30:40] = 95
    values[60:62] = 95
    values[100:120] = 95
    return values


def live_firings(rule, series, start, end):
    """Run the real evaluator every 30 s over [start, end]: (fired_at, resolved_at) per alert."""
    t = start + dt.timedelta(seconds=30)
    while t <= end:
        evaluate_rule(rule, t, [])
        t += dt.timedelta(seconds=30)
    return [
        (a.fired_at, a.resolved_at if a.state == "resolved" else None)
        for a in Alert.objects.filter(rule=rule, series=series, fired_at__isnull=False).order_by("started_at")
    ]


@pytest.mark.parametrize("for_seconds, keep_seconds", [(0, 0), (300, 0), (0, 240)])
def test_the_replay_fires_and_resolves_when_the_live_evaluator_does(now, for_seconds, keep_seconds):
    series = cpu(now, hot_stretches())
    rule = AlertRule.objects.create(
        name="Hot", kind=RuleKind.THRESHOLD, selector="cpu_usage_percent", threshold=90, window_seconds=120,
        for_seconds=for_seconds, keep_firing_for_seconds=keep_seconds,
    )  # fmt: skip
    span = dt.timedelta(minutes=MINUTES)

    preview = rule_preview.preview_rule(rule, now, span)

    replayed = [(f.fired_at, f.resolved_at) for f in preview.firings]
    assert replayed == live_firings(rule, series, now - span, now)
    # The 2-minute stretch (plus the 2-minute window) never lasts the 5-minute `for`.
    assert len(replayed) == (2 if for_seconds else 3)
    assert preview.n_pending_only == (1 if for_seconds else 0)


def test_an_unsaved_rule_replays_without_storing_anything(now):
    cpu(now, hot_stretches())
    rule = AlertRule(name="Draft", kind=RuleKind.THRESHOLD, selector="cpu_usage_percent", threshold=90)

    preview = rule_preview.preview_rule(rule, now, dt.timedelta(minutes=MINUTES))

    assert len(preview.firings) == 3 and preview.n_series_fired == 1
    assert not AlertRule.objects.exists() and not Alert.objects.exists()
    assert 0 < preview.firing_fraction() < 0.5


def test_no_data_fires_on_a_gap_but_not_before_the_series_began(now):
    start = now - dt.timedelta(minutes=MINUTES - 1)
    samples = make_samples("up", {"host": "web-1"}, start, MINUTES)
    write_samples(samples[:90] + samples[110:])  # no points for 20 minutes
    rule = AlertRule(name="Gone", kind=RuleKind.NO_DATA, selector="up", window_seconds=300)

    preview = rule_preview.preview_rule(rule, now, dt.timedelta(days=1))

    assert len(preview.firings) == 1
    firing = preview.firings[0]
    gap_start = start + dt.timedelta(minutes=89)
    assert gap_start + dt.timedelta(minutes=5) <= firing.fired_at <= gap_start + dt.timedelta(minutes=6)
    assert firing.resolved_at <= start + dt.timedelta(minutes=111)


def test_anomaly_rules_count_the_stored_anomalies_in_the_window(now):
    series = cpu(now, np.full(MINUTES, 20.0))
    detector = Detector.objects.create(name="d", selector="cpu_usage_percent")
    hot = [now - dt.timedelta(minutes=m) for m in range(60, 50, -1)]
    Anomaly.objects.bulk_create(
        [Anomaly(detector=detector, series=series, ts=ts, score=0.95, value=20) for ts in hot]
        + [Anomaly(detector=detector, series=series, ts=now - dt.timedelta(minutes=30), score=0.6, value=20)]
    )
    rule = AlertRule(name="Odd", kind=RuleKind.ANOMALY, selector="cpu_usage_percent", window_seconds=300,
                     min_score=0.8, min_fraction=0.5)  # fmt: skip

    preview = rule_preview.preview_rule(rule, now, dt.timedelta(minutes=MINUTES))

    assert len(preview.firings) == 1  # the lone 0.6 score is under min_score
    assert hot[0] < preview.firings[0].fired_at < hot[-1]
    rule.kind, rule.threshold = RuleKind.ANOMALY_THRESHOLD, 50
    assert (
        rule_preview.preview_rule(rule, now, dt.timedelta(minutes=MINUTES)).firings == []
    )  # 20 % is not > 50


def test_forecast_rules_and_too_many_series_are_said_so(now, monkeypatch):
    for host in ("web-1", "web-2", "web-3"):
        cpu(now, np.full(10, 20.0), host)
    forecast = AlertRule(name="F", kind=RuleKind.FORECAST, selector="cpu_usage_percent", threshold=90)
    assert "cannot be replayed" in rule_preview.preview_rule(forecast, now).note

    monkeypatch.setattr(rule_preview, "MAX_SERIES", 2)
    many = rule_preview.preview_rule(
        AlertRule(name="T", kind=RuleKind.THRESHOLD, selector="cpu_usage_percent", threshold=90), now
    )
    assert many.n_selected == 3 and len(many.series) == 2 and "first 2 of 3" in many.note
