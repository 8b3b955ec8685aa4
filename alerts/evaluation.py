"""Alert rule evaluation: what each rule sees, how its alerts move, what to tell.

`observe(rule, now)` reads what a rule needs with one SQL query per rule
(latest points, anomaly windows or stored forecasts of every selected series
at once) and answers, per series, whether the condition holds and the
numbers that explain it. `evaluate_rule` moves the rule's alerts through
their lifecycle (`Alert.next_state`) and queues the notifications; the
transaction around it belongs to `alerts.jobs`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from django.conf import settings
from django.db import connection

from alerts import alertmanager_push
from alerts import messages as alert_messages
from alerts.choices import AlertState, ChannelKind, RuleKind
from alerts.models import Alert, AlertRule, Notification, Silence
from analytics.models.detection import Forecast
from core.numbers import finite_or_none
from ingestion.models import Series
from ingestion.queries import select_series

ALERT_FIELDS = [
    "state",
    "fired_at",
    "recovering_since",
    "resolved_at",
    "last_evaluated_at",
    "value",
    "expected",
    "lo",
    "hi",
    "score",
    "details",
    "silenced_by",
    "last_notified_at",
    "last_pushed_at",
]


class Observation(NamedTuple):
    """What one rule saw on one series at one evaluation."""

    condition: bool
    value: float | None = None
    expected: float | None = None
    lo: float | None = None
    hi: float | None = None
    score: float | None = None
    details: dict | None = None


NOTHING = Observation(False)


class RuleOutcome(NamedTuple):
    n_alerts: int
    n_changed: int
    n_notifications: int


# -- what a rule sees ---------------------------------------------------------


def observe(rule: AlertRule, now: dt.datetime) -> dict[int, Observation]:
    """Per selected series id, whether the rule's condition holds at `now`."""
    observers = {
        RuleKind.THRESHOLD: _observe_threshold,
        RuleKind.NO_DATA: _observe_no_data,
        RuleKind.ANOMALY: _observe_anomaly,
        RuleKind.ANOMALY_THRESHOLD: _observe_anomaly,
        RuleKind.FORECAST: _observe_forecast,
    }
    return observers[rule.kind](rule, now)


def _window(rule: AlertRule, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The rule's window (now - window, now] as the read functions' [start, end)."""
    one_us = dt.timedelta(microseconds=1)
    return now - dt.timedelta(seconds=rule.window_seconds) + one_us, now + one_us


def _selected_sql(rule: AlertRule) -> tuple[str, list]:
    """The selector's series ids as a sub-query, so each rule costs one query."""
    queryset = select_series(rule.parsed_selector(), Series.objects.order_by())
    sql, params = queryset.values("id").query.sql_with_params()
    return sql, list(params)


def _latest_points(rule: AlertRule, now: dt.datetime) -> list[tuple]:
    """(series_id, ts, value) of the latest point in the rule's window, for
    every selected series; ts and value are None for a series without one,
    or that has ended (a staleness marker since its latest point: see
    ingestion.series_ends)."""
    sub, params = _selected_sql(rule)
    since, until = _window(rule, now)
    with connection.cursor() as cursor:
        # A series' latest point counts unless the series ended after it.
        cursor.execute(
            f"""
            SELECT s.id, p.ts, p.value FROM ingestion_series s
            LEFT JOIN tsmon_latest_points(ARRAY({sub}), %s, %s) p
              ON p.series_id = s.id AND (s.ended_at IS NULL OR s.ended_at < p.ts OR s.ended_at > %s)
            WHERE s.id IN ({sub})
            """,
            [*params, since, until, now, *params],
        )
        return cursor.fetchall()


def _observe_threshold(rule: AlertRule, now: dt.datetime) -> dict[int, Observation]:
    observations = {}
    for series_id, ts, value in _latest_points(rule, now):
        if ts is not None:
            details = {"ts": ts.isoformat(), "threshold": rule.threshold, "operator": rule.operator}
            observations[series_id] = Observation(rule.compare(value), value, details=details)
    return observations


def _observe_no_data(rule: AlertRule, now: dt.datetime) -> dict[int, Observation]:
    return {
        series_id: Observation(ts is None, details={"silent_for_seconds": rule.window_seconds})
        for series_id, ts, _ in _latest_points(rule, now)
    }


def _anomaly_windows(rule: AlertRule, now: dt.datetime) -> list[tuple]:
    """Per selected series with points in the window: the point count, the
    anomalous point count, the latest value and the peak anomaly (JSON)."""
    sub, params = _selected_sql(rule)
    since, until = _window(rule, now)
    detector_sql, detector_params = (
        ("AND detector_id = %s", [rule.detector_id]) if rule.detector_id else ("", [])
    )
    with connection.cursor() as cursor:
        # Several detectors may score one point: keep its highest score, so a
        # point counts once.
        cursor.execute(
            f"""
            WITH a AS (
                SELECT DISTINCT ON (series_id, ts) series_id, ts, score, value, expected, lo, hi
                FROM analytics_anomaly
                WHERE series_id IN ({sub}) AND ts >= %s AND ts < %s AND score >= %s {detector_sql}
                ORDER BY series_id, ts, score DESC
            ), p AS (
                SELECT series_id, count(*) AS n_points, (array_agg(value ORDER BY ts DESC))[1] AS last_value
                FROM tsmon_series_points(ARRAY({sub}), %s, %s)
                GROUP BY series_id
            )
            SELECT p.series_id, p.n_points, p.last_value, count(a.ts),
                   (array_agg(jsonb_build_object(
                        'ts', a.ts, 'score', a.score, 'value', a.value,
                        'expected', a.expected, 'lo', a.lo, 'hi', a.hi)
                    ORDER BY a.score DESC, a.ts DESC) FILTER (WHERE a.ts IS NOT NULL))[1]
            FROM p LEFT JOIN a ON a.series_id = p.series_id
            GROUP BY p.series_id, p.n_points, p.last_value
            """,
            [*params, since, until, rule.min_score, *detector_params, *params, since, until],
        )
        return cursor.fetchall()


def _observe_anomaly(rule: AlertRule, now: dt.datetime) -> dict[int, Observation]:
    observations = {}
    for series_id, n_points, last_value, n_anomalous, peak_json in _anomaly_windows(rule, now):
        # Django turns off psycopg2's jsonb decoding, so the peak comes as text.
        peak = json.loads(peak_json) if peak_json else None
        fraction = n_anomalous / n_points
        condition = fraction >= rule.min_fraction and n_anomalous > 0
        value = peak["value"] if peak else last_value
        if rule.kind == RuleKind.ANOMALY_THRESHOLD:
            # The latest value must also cross the limit: an anomalous 2 % CPU pages no one.
            condition = condition and rule.compare(last_value)
            value = last_value
        details = {"fraction": round(fraction, 4), "n_points": n_points, "n_anomalous": n_anomalous}
        if peak:
            details["peak_ts"] = peak["ts"]
        peak = peak or {}
        observations[series_id] = Observation(
            condition, value, peak.get("expected"), peak.get("lo"), peak.get("hi"), peak.get("score"), details
        )
    return observations


def _observe_forecast(rule: AlertRule, now: dt.datetime) -> dict[int, Observation]:
    selected = select_series(rule.parsed_selector(), Series.objects.order_by()).values("id")
    observations = {}
    for forecast in Forecast.objects.filter(series_id__in=selected).order_by():
        observations[forecast.series_id] = _forecast_crossing(rule, forecast, now)
    return observations


def _forecast_crossing(rule: AlertRule, forecast: Forecast, now: dt.datetime) -> Observation:
    """The first forecast step within the horizon whose band edge crosses the limit."""
    horizon_end = now + dt.timedelta(seconds=rule.horizon_seconds)
    edge = rule.band_edge
    for point in forecast.points:
        ts = _parse_ts(point.get("ts"))
        if ts is None or not now <= ts <= horizon_end:
            continue
        bound = point.get(edge, point.get("mean"))
        if rule.compare(bound):
            lo, hi = point.get(f"lo-{rule.forecast_level}"), point.get(f"hi-{rule.forecast_level}")
            details = {"crosses_at": ts.isoformat(), "edge": edge, "threshold": rule.threshold}
            return Observation(True, bound, point.get("mean"), lo, hi, None, details)
    return NOTHING


def _parse_ts(value) -> dt.datetime | None:
    if isinstance(value, int | float):
        return dt.datetime.fromtimestamp(value, dt.UTC)
    try:
        return dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None


# -- how alerts move ----------------------------------------------------------


def evaluate_rule(rule: AlertRule, now: dt.datetime, silences: Sequence[Silence]) -> RuleOutcome:
    """Evaluate one rule at `now`: advance its alerts, store them, queue notifications."""
    observations = observe(rule, now)
    alerts = list(rule.alerts.open().select_related("series"))
    new = _new_alerts(rule, observations, {a.series_id for a in alerts}, now)
    pushes = any(c.kind == ChannelKind.ALERTMANAGER and c.is_active for c in rule.channels.all())
    resend_seconds = settings.TSMON_ALERTMANAGER_RESEND_SECONDS
    to_notify, to_push, changed = [], [], 0
    for alert in [*alerts, *new]:
        alert.rule = rule  # already loaded; saves a query per alert
        before = alert.state
        observation = observations.get(alert.series_id, NOTHING)
        event = alert.advance(observation.condition, now)
        if observation.condition:
            _explain(alert, observation)
        alert.silenced_by = next((s for s in silences if s.matches(alert.labels)), None)
        changed += alert.state != before
        if alert.wants_notification(event, now):
            alert.last_notified_at = now
            to_notify.append(alert)
        if pushes and alert.wants_push(event, now, resend_seconds):
            alert.last_pushed_at = now
            to_push.append(alert)
    Alert.objects.bulk_create(new)
    Alert.objects.bulk_update(alerts, ALERT_FIELDS)
    n_notifications = enqueue_notifications(rule, to_notify, now) + enqueue_pushes(rule, to_push, now)
    return RuleOutcome(len(alerts) + len(new), changed, n_notifications)


def _new_alerts(rule: AlertRule, observations: dict, open_series: set[int], now: dt.datetime) -> list[Alert]:
    """Unsaved alerts for the series whose condition holds and that have no open alert."""
    ids = [sid for sid, o in observations.items() if o.condition and sid not in open_series]
    series = Series.objects.in_bulk(ids) if ids else {}
    return [
        Alert(rule=rule, series=series[sid], labels=rule.alert_labels(series[sid]), started_at=now)
        for sid in sorted(series)
    ]


def _explain(alert: Alert, observation: Observation) -> None:
    alert.value, alert.expected = finite_or_none(observation.value), finite_or_none(observation.expected)
    alert.lo, alert.hi, alert.score = (
        finite_or_none(observation.lo),
        finite_or_none(observation.hi),
        finite_or_none(observation.score),
    )
    alert.details = observation.details or {}


# -- what to tell -------------------------------------------------------------


def enqueue_notifications(rule: AlertRule, alerts: Sequence[Alert], now: dt.datetime) -> int:
    """Queue one notification per alert group and active channel of the rule
    (Alertmanager channels aside: `enqueue_pushes` feeds them)."""
    if not alerts:
        return 0
    channels = [c for c in rule.channels.all() if c.is_active and c.kind != ChannelKind.ALERTMANAGER]
    rows = []
    for group_labels, members in group_alerts(rule, alerts).items():
        message = alert_messages.build_message(rule, dict(group_labels), members)
        for channel in channels:
            rows.append(
                Notification(
                    channel=channel,
                    rule=rule,
                    status=message["status"],
                    group_key=message["groupKey"],
                    payload={**message, "receiver": channel.name},
                    alert_ids=[a.pk for a in members],
                    created_at=now,
                    next_attempt_at=now,
                )
            )
    Notification.objects.bulk_create(rows)
    return len(rows)


def enqueue_pushes(rule: AlertRule, alerts: Sequence[Alert], now: dt.datetime) -> int:
    """Queue one push of `alerts` per active Alertmanager channel of the rule.

    Through the same queue as notifications, so pushes are retried,
    recorded and disable a channel that refuses them alike.
    """
    channels = [c for c in rule.channels.all() if c.is_active and c.kind == ChannelKind.ALERTMANAGER]
    if not alerts or not channels:
        return 0
    payload = alertmanager_push.push_payload(rule, alerts, now, settings.TSMON_ALERTMANAGER_RESEND_SECONDS)
    firing = any(a.state not in (AlertState.RESOLVED, AlertState.INACTIVE) for a in alerts)
    rows = [
        Notification(
            channel=channel,
            rule=rule,
            status="firing" if firing else "resolved",
            group_key="{}:" + alert_messages.braced({"alertname": rule.name}),
            payload=payload,
            alert_ids=[a.pk for a in alerts],
            created_at=now,
            next_attempt_at=now,
        )
        for channel in channels
    ]
    Notification.objects.bulk_create(rows)
    return len(rows)


def group_alerts(rule: AlertRule, alerts: Iterable[Alert]) -> dict[tuple, list[Alert]]:
    """Alerts keyed by the values of the rule's `group_by` labels.

    No `group_by` puts all of a rule's alerts in one group; `...` makes each
    alert its own group, as in Alertmanager.
    """
    groups: dict[tuple, list[Alert]] = {}
    for alert in alerts:
        names = (
            sorted(alert_messages.public_labels(alert.labels)) if "..." in rule.group_by else rule.group_by
        )
        key = (("alertname", rule.name), *((n, alert.labels.get(n, "")) for n in names if n != "alertname"))
        groups.setdefault(key, []).append(alert)
    return groups


def active_silences(now: dt.datetime) -> list[Silence]:
    return list(Silence.objects.filter(ends_at__gt=now, starts_at__lte=now))
