"""The anomaly report: incidents and events ranked, grouped by host and metric; peer outliers; alerts."""

from __future__ import annotations

from reports.builders.coverage import describe_coverage
from reports.builders.incidents import find_incidents, incident_sentence, strength
from reports.builders.input_types import AlertInput, EventInput, PeerGroupInput, ReportRequest
from reports.builders.outline import finite, iso, points, report, table
from reports.builders.peers import find_peer_outliers
from reports.builders.waves import find_waves, wave_sentence
from reports.builders.words import describe_series, humanize_seconds, when

MAX_EVENT_CHARTS = 24  # the strongest events get a chart; the table lists them all
MAX_EVENTS = 500
SUMMARY_INCIDENTS = 8  # incidents and waves
# (column in the table, field of the event item): the table says "series"
# where the item holds the series key.
EVENT_COLUMNS = [
    ("rank", "rank"), ("series", "key"), ("host", "host"), ("metric", "metric"), ("start", "start"),
    ("end", "end"), ("duration_seconds", "duration_seconds"), ("peak_score", "peak_score"),
    ("peak_ts", "peak_ts"), ("n_points", "n_points"), ("direction", "direction"), ("detector", "detector"),
]  # fmt: skip
EVENTS_SHOWN = ["rank", "series", "start", "duration_seconds", "peak_score", "direction", "detector"]
PEER_COLUMNS = [
    "series",
    "group",
    "host",
    "metric",
    "feature",
    "start",
    "end",
    "score",
    "distance",
    "direction",
]
PEER_FIELDS = ["key", "group", "host", "metric", "feature", "start", "end", "score", "distance", "direction"]
ALERT_COLUMNS = ["rule", "severity", "series", "fired_at", "resolved_at", "duration_seconds", "state"]
ALERT_FIELDS = ["rule", "severity", "key", "fired_at", "resolved_at", "duration_seconds", "state"]


def build_anomaly_report(
    request: ReportRequest,
    events: list[EventInput],
    peer_groups: list[PeerGroupInput],
    alerts: list[AlertInput],
    coverage,
) -> dict:
    ranked = rank_events(events)[:MAX_EVENTS]
    items = [_event_item(rank, event, rank <= MAX_EVENT_CHARTS) for rank, event in enumerate(ranked, 1)]
    outliers = [_within(o, request) for group in peer_groups for o in find_peer_outliers(group)]
    incidents = find_incidents(items, outliers, request.end)
    alert_items = [_alert_item(a, request.end) for a in alerts]
    summary = _event_sentences(items, incidents) + _alert_sentences(alert_items)
    tables = {
        "events": table(
            "Anomaly events, strongest first",
            [column for column, _ in EVENT_COLUMNS],
            [[e[f] for _, f in EVENT_COLUMNS] for e in items],
            shown=EVENTS_SHOWN,
        ),
        "peer_outliers": table(
            "Peer-group outliers",
            PEER_COLUMNS,
            [[o[f] for f in PEER_FIELDS] for o in outliers],
            shown=["series", "group", "feature", "start", "end", "score", "direction"],
        ),
        "alerts": table(
            "Alerts that fired", ALERT_COLUMNS, [[a[f] for f in ALERT_FIELDS] for a in alert_items]
        ),
    }
    data = describe_coverage(coverage, request.start, request.end)
    sections = {"groups": _group_events(items), "events": items, "incidents": incidents}
    sections["waves"] = find_waves(incidents)[0]
    return report(request, summary, data, tables, **sections, peer_outliers=outliers, alerts=alert_items)


def rank_events(events: list) -> list:
    """Events strongest first: by peak score, then the longer first.

    Accepts EventInput objects or tuples whose first item is one, so a loader
    can rank rows the same way before it decides which to load in full.
    """

    def key(item):
        event = item[0] if isinstance(item, tuple) else item
        # By the score as printed (3 decimals): 0.7684 before a longer 0.7681 would read as out of order.
        return (-round(event.peak_score, 3), -(event.end - event.start).total_seconds(), event.start)

    return sorted(events, key=key)


def _event_item(rank: int, event: EventInput, with_chart: bool) -> dict:
    item = {
        "rank": rank,
        "key": event.series.key,
        "name": describe_series(event.series),
        "host": event.series.labels.get("host", ""),
        "metric": event.series.metric,
        "unit": event.series.unit,
        "bounds": list(event.series.bounds),
        "start": iso(event.start),
        "end": iso(event.end),
        "covers_from": iso(event.start - event.window if event.window else event.start),
        "window_seconds": event.window.total_seconds() if event.window else None,
        "duration_seconds": (event.end - event.start).total_seconds(),
        "peak_score": round(event.peak_score, 3),
        "peak_ts": iso(event.peak_ts),
        "n_points": event.n_points,
        "direction": {1: "above expected", -1: "below expected"}.get(event.direction, "unknown"),
        "detector": event.detector,
        "chart": None,
    }
    if with_chart:
        item["chart"] = {"context": points(event.context), "flagged": _flagged_points(event)}
    return item


def _flagged_points(event: EventInput) -> list[list]:
    """[ts, value, expected, lo, hi] of the event's points. The detector's band may run past
    what the series can take (a CPU band up to 114 %): the report draws it up to the bound."""
    lower, upper = event.series.bounds
    band = event.flagged[["expected", "lo", "hi"]].astype(float).clip(lower=lower, upper=upper)
    return [
        [iso(ts), finite(value), *(finite(v) for v in band.loc[ts])]
        for ts, value in event.flagged["value"].items()
    ]


def _group_events(items: list[dict]) -> list[dict]:
    """Events by host, then metric; hosts and metrics in the order of their strongest event."""
    hosts: dict[str, dict[str, list[int]]] = {}
    for item in items:  # already ranked, so first seen is strongest
        hosts.setdefault(item["host"], {}).setdefault(item["metric"], []).append(item["rank"])
    return [
        {"host": host, "metrics": [{"metric": m, "events": ranks} for m, ranks in metrics.items()]}
        for host, metrics in hosts.items()
    ]


def _within(outlier: dict, request: ReportRequest) -> dict:
    """A day window may begin before the period and end after it: the report covers the period only."""
    return {
        **outlier,
        "start": max(outlier["start"], iso(request.start)),
        "end": min(outlier["end"], iso(request.end)),
    }


def _alert_item(alert: AlertInput, period_end) -> dict:
    until = alert.resolved_at or period_end
    fired = alert.fired_at or alert.started_at
    return {
        "rule": alert.rule,
        "severity": alert.severity,
        "key": alert.series.key,
        "name": describe_series(alert.series),
        "fired_at": iso(alert.fired_at),
        "resolved_at": iso(alert.resolved_at),
        "duration_seconds": max(0.0, (min(until, period_end) - fired).total_seconds()),
        "state": alert.state,
    }


def _event_sentences(items: list[dict], incidents: list[dict]) -> list[str]:
    if not items and not incidents:
        return ["No anomaly events in this period."]
    n_series = len({e["key"] for e in items})
    n_hosts = len({e["host"] for e in items})
    sentences = [
        f"{len(items)} anomaly events in {n_series} series on {n_hosts} hosts, in {len(incidents)} incidents "
        "(the events of one series less than an hour apart, and the peer comparison's spans over them)."
    ]
    waves, alone = find_waves(incidents)
    stories = sorted([*waves, *alone], key=strength)
    sentences += [
        wave_sentence(s) if "hosts" in s else incident_sentence(s) for s in stories[:SUMMARY_INCIDENTS]
    ]
    rest = stories[SUMMARY_INCIDENTS:]
    if rest:
        scores = [s["peak_score"] for s in rest]
        sentences.append(
            f"{len(rest)} more incidents or waves, scoring {min(scores):.2f} to {max(scores):.2f}: "
            "every event is in the table."
        )
    return sentences


def _alert_sentences(alerts: list[dict]) -> list[str]:
    if not alerts:
        return ["No alerts fired."]
    firing = [a for a in alerts if not a["resolved_at"]]
    sentence = f"{len(alerts)} alerts fired, {len(firing)} still firing at the end of the period"
    if firing:
        sentence += ": " + "; ".join(
            f"{a['rule']} ({a['name']}) since {when(a['fired_at'])}" for a in firing[:3]
        )
    resolved = [a for a in alerts if a["resolved_at"]]
    if resolved:
        longest = max(resolved, key=lambda a: a["duration_seconds"])
        sentence += (
            f". The longest resolved one, {longest['rule']} ({longest['name']}), "
            f"lasted {humanize_seconds(longest['duration_seconds'])}"
        )
    return [sentence + "."]
