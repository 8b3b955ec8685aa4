"""Report content from loaded data: plain Python and pandas in, a JSON-ready dict out.

No Django here: `reports.inputs` reads the database into the dataclasses
below, these functions decide what the report says, and `reports.rendering`
draws it. Tests build reports from hand-made inputs without a database.

Every report has the same outline:

    {"kind", "title", "generated_at", "period": {"start", "end"}, "scope",
     "summary": [plain sentences], "data": {what it rests on: series, points, gaps},
     "tables": {name: {"title", "columns", "rows"}}, ...kind-specific sections}

Times are ISO 8601 strings in UTC; numbers that are not finite become null.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analytics.algorithms.capacity import ThresholdCrossing
from analytics.algorithms.peer import MIN_MEMBERS, peer_outliers

# The tables of each kind of report, first the main one (downloadable as CSV).
TABLES = {
    "forecast": ["forecast", "models"],
    "capacity": ["capacity"],
    "anomaly": ["events", "peer_outliers", "alerts"],
}
DEFAULT_HORIZONS = ("1h", "6h", "1d", "3d", "7d")
MAX_EVENT_CHARTS = 24  # the strongest events get a chart; the table lists them all
MAX_EVENTS = 500
SUMMARY_LINES = 5
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}
_METRIC_SUFFIXES = ("_used_percent", "_usage_percent", "_percent", "_bytes_per_second", "_seconds", "_total")


# Inputs ---------------------------------------------------------------------


@dataclass
class SeriesInfo:
    """Who a series is: enough to name it in a sentence."""

    key: str
    metric: str
    labels: dict
    unit: str = ""
    capacity: float | None = None


@dataclass
class Coverage:
    """What one series' data looked like over the report's period.

    `counts` holds points per `step` bucket, indexed by bucket start (empty
    buckets absent), as `ingestion.queries.downsample(..., "count")` returns them.
    """

    series: SeriesInfo
    counts: pd.Series
    step: dt.timedelta


@dataclass
class SeriesForecastInput:
    """One series' recent history and its forecast (or why there is none)."""

    series: SeriesInfo
    history: pd.Series  # mean per forecast step, gaps NaN
    forecast: pd.DataFrame | None = None  # mean, lo-<level>, hi-<level>
    model: str = ""
    skill: dict = field(default_factory=dict)
    threshold: float | None = None
    crossing: ThresholdCrossing | None = None
    step: dt.timedelta = dt.timedelta(hours=1)
    not_forecast_because: str = ""


@dataclass
class EventInput:
    """One anomaly event with the data around it."""

    series: SeriesInfo
    start: dt.datetime
    end: dt.datetime
    peak_score: float
    peak_ts: dt.datetime
    n_points: int
    direction: int
    detector: str
    context: pd.Series  # values around the event
    flagged: pd.DataFrame  # the event's anomalous points: value, expected, lo, hi


@dataclass
class AlertInput:
    rule: str
    severity: str
    series: SeriesInfo
    state: str
    started_at: dt.datetime
    fired_at: dt.datetime | None
    resolved_at: dt.datetime | None


@dataclass
class PeerGroupInput:
    """The series of one metric across the hosts of one role (web-1…web-4).

    `frames` holds one frame per compared feature, one column per host on a
    regular grid: `level` (mean per bucket) and `variability` (standard
    deviation per bucket), so a host that turns noisy stands out as clearly
    as one that runs hot.
    """

    metric: str
    group: str  # e.g. `web-*`
    frames: dict[str, pd.DataFrame]
    series: dict[str, SeriesInfo]  # host -> series


@dataclass
class ReportRequest:
    kind: str
    start: dt.datetime
    end: dt.datetime
    scope: str = ""
    title: str = ""
    params: dict = field(default_factory=dict)


# Forecast report --------------------------------------------------------------


def build_forecast_report(request: ReportRequest, forecasts: list[SeriesForecastInput], coverage) -> dict:
    """Per series: history with forecast and bands, values at horizons, model skill, time to limit."""
    horizons = [(text, parse_horizon(text)) for text in request.params.get("horizons", DEFAULT_HORIZONS)]
    sections, rows = [], []
    for item in forecasts:
        section = _forecast_section(item, horizons, request.end)
        sections.append(section)
        rows += _horizon_rows(section)
    forecasted = [s for s in sections if s["forecast"]]
    summary = _fill_sentences(forecasted, request.end)
    beats = [s for s in forecasted if _ratio(s) is not None and _ratio(s) < 1]
    summary.append(
        f"{len(forecasted)} of {len(sections)} series forecast; the model beats seasonal naive "
        f"on recent history for {len(beats)} of them."
    )
    skipped = [s for s in sections if not s["forecast"]]
    if skipped:
        summary.append(f"Not forecast (too little data): {', '.join(s['name'] for s in skipped)}.")
    return _report(
        request,
        summary,
        coverage,
        tables={
            "forecast": _table(
                "Expected values at horizons",
                ["series", "horizon", "ts", "mean", "lo-80", "hi-80", "lo-95", "hi-95"],
                rows,
            ),
            "models": _table(
                "Models and skill",
                ["series", "model", "mae", "seasonal_naive_mae", "ratio_to_seasonal_naive", "full_at"],
                [_model_row(s) for s in forecasted],
            ),
        },
        series=sections,
    )


def _forecast_section(item: SeriesForecastInput, horizons, origin: dt.datetime) -> dict:
    section = {
        "key": item.series.key,
        "name": describe_series(item.series),
        "unit": item.series.unit,
        "history": _points(item.history),
        "forecast": [],
        "model": item.model,
        "skill": item.skill,
        "threshold": _finite(item.threshold),
        "crossing": _crossing(item.crossing, origin),
        "horizons": [],
        "note": item.not_forecast_because,
    }
    if item.forecast is None:
        return section
    frame = item.forecast
    section["forecast"] = [
        {"ts": _iso(ts), **{k: _finite(v) for k, v in row.items()}}
        for ts, row in zip(frame.index, frame.to_dict("records"), strict=True)
    ]
    for text, delta in horizons:
        position = int(round(delta / item.step)) - 1
        if 0 <= position < len(frame):
            row = frame.iloc[position]
            section["horizons"].append(
                {
                    "horizon": text,
                    "ts": _iso(frame.index[position]),
                    **{k: _finite(v) for k, v in row.items()},
                }
            )
    return section


def _horizon_rows(section: dict) -> list[list]:
    return [
        [
            section["key"],
            h["horizon"],
            h["ts"],
            h.get("mean"),
            h.get("lo-80"),
            h.get("hi-80"),
            h.get("lo-95"),
            h.get("hi-95"),
        ]
        for h in section["horizons"]
    ]


def _model_row(section: dict) -> list:
    skill, crossing = section["skill"], section["crossing"]
    return [
        section["key"],
        section["model"],
        skill.get("mae"),
        skill.get("seasonal_naive_mae"),
        skill.get("ratio_to_seasonal_naive"),
        crossing["expected"] if crossing else None,
    ]


def _ratio(section: dict) -> float | None:
    return section["skill"].get("ratio_to_seasonal_naive")


# Capacity report ------------------------------------------------------------------


def build_capacity_report(request: ReportRequest, forecasts: list[SeriesForecastInput], coverage) -> dict:
    """Resources whose forecast reaches their limit within N days, most urgent first."""
    days = float(request.params.get("days", 14))
    limit = request.end + dt.timedelta(days=days)
    sections = [_forecast_section(item, [], request.end) for item in forecasts]
    reaching, possible = [], []
    for section in sections:
        crossing = section["crossing"]
        if not crossing:
            continue
        if crossing["expected"] and _dt(crossing["expected"]) <= limit:
            reaching.append(section)
        elif crossing["earliest"] and _dt(crossing["earliest"]) <= limit:
            possible.append(section)
    reaching.sort(key=lambda s: (s["crossing"]["expected"], s["crossing"]["earliest"] or ""))
    possible.sort(key=lambda s: s["crossing"]["earliest"])
    summary = _fill_sentences(reaching, request.end)
    if not reaching:
        summary.append(f"No resource is expected to reach its limit within {days:g} days.")
    elif len(reaching) > SUMMARY_LINES:
        summary.append(
            f"{len(reaching) - SUMMARY_LINES} more resources reach their limit within {days:g} days."
        )
    if possible:
        names = ", ".join(s["name"] for s in possible[:SUMMARY_LINES])
        summary.append(
            f"{len(possible)} more may reach it only if they follow the upper edge of the "
            f"{possible[0]['crossing']['level']:g} % interval: {names}."
        )
    checked = [s for s in sections if s["forecast"]]
    summary.append(f"{len(checked)} resources with a limit were forecast {days:g} days ahead.")
    rows = [_capacity_row(rank, s, "expected") for rank, s in enumerate(reaching, 1)]
    rows += [_capacity_row(None, s, "possible") for s in possible]
    return _report(
        request,
        summary,
        coverage,
        tables={
            "capacity": _table(
                f"Resources reaching their limit within {days:g} days",
                [
                    "rank",
                    "series",
                    "limit",
                    "last_value",
                    "expected_at",
                    "earliest",
                    "latest",
                    "days_left",
                    "days_left_low",
                    "days_left_high",
                    "level",
                    "verdict",
                ],
                rows,
            )
        },  # fmt: skip
        days=days,
        reaching=reaching,
        possible=possible,
    )


def _capacity_row(rank: int | None, section: dict, verdict: str) -> list:
    crossing, history = section["crossing"], section["history"]
    last = next((v for _, v in reversed(history) if v is not None), None)
    return [
        rank,
        section["key"],
        section["threshold"],
        last,
        crossing["expected"],
        crossing["earliest"],
        crossing["latest"],
        crossing["days"],
        crossing["days_low"],
        crossing["days_high"],
        crossing["level"],
        verdict,
    ]


def _fill_sentences(sections: list[dict], origin: dt.datetime) -> list[str]:
    """ "disk /data on db-1 reaches 100 in 4.2 days (3.1–6.0)", for the most urgent few."""
    sentences = []
    ranked = sorted((s for s in sections if s["crossing"] and s["crossing"]["expected"]), key=_expected_at)
    for section in ranked[:SUMMARY_LINES]:
        crossing = section["crossing"]
        verb = "fills" if section["threshold"] == 100 and "percent" in section["key"] else "reaches"
        limit = "" if verb == "fills" else f" {section['threshold']:g}"
        sentences.append(
            f"{section['name']} {verb}{limit} in {_days(crossing['days'])} "
            f"({_days(crossing['days_low'], False)}–{_days(crossing['days_high'], False)}), "
            f"around {_when(crossing['expected'])}."
        )
    return sentences


def _expected_at(section: dict) -> str:
    return section["crossing"]["expected"]


def _crossing(crossing: ThresholdCrossing | None, origin: dt.datetime) -> dict | None:
    if crossing is None or (crossing.expected is None and crossing.earliest is None):
        return None

    def days(when):
        return None if when is None else round((when.to_pydatetime() - origin) / dt.timedelta(days=1), 2)

    return {
        "expected": _iso(crossing.expected),
        "earliest": _iso(crossing.earliest),
        "latest": _iso(crossing.latest),
        "level": crossing.level,
        "days": days(crossing.expected),
        "days_low": days(crossing.earliest),
        "days_high": days(crossing.latest),
    }


# Anomaly report ------------------------------------------------------------------


def build_anomaly_report(
    request: ReportRequest,
    events: list[EventInput],
    peer_groups: list[PeerGroupInput],
    alerts: list[AlertInput],
    coverage,
) -> dict:
    """Events ranked by score and duration, grouped by host and metric; peer outliers; alerts."""
    ranked = rank_events(events)[:MAX_EVENTS]
    items = [_event_item(rank, event, rank <= MAX_EVENT_CHARTS) for rank, event in enumerate(ranked, 1)]
    groups = _group_events(items)
    outliers = [o for group in peer_groups for o in find_peer_outliers(group)]
    for outlier in outliers:  # the last day's window may reach past the period
        outlier["end"] = min(outlier["end"], _iso(request.end))
    alert_items = [_alert_item(a, request.end) for a in alerts]
    summary = _anomaly_sentences(items, groups, outliers, alert_items, request)
    return _report(
        request,
        summary,
        coverage,
        tables={
            "events": _table(
                "Anomaly events, strongest first",
                [column for column, _ in EVENT_COLUMNS],
                [[e[field] for _, field in EVENT_COLUMNS] for e in items],
            ),
            "peer_outliers": _table(
                "Peer-group outliers",
                [
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
                ],
                [
                    [
                        o[c]
                        for c in (
                            "key",
                            "group",
                            "host",
                            "metric",
                            "feature",
                            "start",
                            "end",
                            "score",
                            "distance",
                            "direction",
                        )
                    ]
                    for o in outliers
                ],
            ),
            "alerts": _table(
                "Alerts that fired",
                ["rule", "severity", "series", "fired_at", "resolved_at", "duration_seconds", "state"],
                [
                    [
                        a[c]
                        for c in (
                            "rule",
                            "severity",
                            "key",
                            "fired_at",
                            "resolved_at",
                            "duration_seconds",
                            "state",
                        )
                    ]
                    for a in alert_items
                ],
            ),
        },  # fmt: skip
        groups=groups,
        events=items,
        peer_outliers=outliers,
        alerts=alert_items,
    )


def rank_events(events: list) -> list:
    """Events strongest first: by peak score, then the longer first.

    Accepts EventInput objects or tuples whose first item is one, so a loader
    can rank rows the same way before it decides which to load in full.
    """

    def key(item):
        event = item[0] if isinstance(item, tuple) else item
        return (-event.peak_score, -(event.end - event.start).total_seconds(), event.start)

    return sorted(events, key=key)


def _event_item(rank: int, event: EventInput, with_chart: bool) -> dict:
    duration = (event.end - event.start).total_seconds()
    item = {
        "rank": rank,
        "key": event.series.key,
        "name": describe_series(event.series),
        "host": event.series.labels.get("host", ""),
        "metric": event.series.metric,
        "unit": event.series.unit,
        "start": _iso(event.start),
        "end": _iso(event.end),
        "duration_seconds": duration,
        "peak_score": round(event.peak_score, 3),
        "peak_ts": _iso(event.peak_ts),
        "n_points": event.n_points,
        "direction": {1: "above expected", -1: "below expected"}.get(event.direction, "unknown"),
        "detector": event.detector,
        "chart": None,
    }
    if with_chart:
        item["chart"] = {
            "context": _points(event.context),
            "flagged": [
                [
                    _iso(ts),
                    _finite(row["value"]),
                    _finite(row["expected"]),
                    _finite(row["lo"]),
                    _finite(row["hi"]),
                ]
                for ts, row in event.flagged.iterrows()
            ],
        }
    return item


def _group_events(items: list[dict]) -> list[dict]:
    """Events by host, then metric; hosts and metrics in the order of their strongest event."""
    hosts: dict[str, dict[str, list[int]]] = {}
    for item in items:  # already ranked, so first seen is strongest
        hosts.setdefault(item["host"], {}).setdefault(item["metric"], []).append(item["rank"])
    return [
        {"host": host, "metrics": [{"metric": m, "events": ranks} for m, ranks in metrics.items()]}
        for host, metrics in hosts.items()
    ]


def find_peer_outliers(group: PeerGroupInput, window: dt.timedelta = dt.timedelta(days=1)) -> list[dict]:
    """Members of a peer group that behave unlike the rest, day by day, merged into spans.

    Each `window` of each feature frame is judged on its own with
    `analytics.algorithms.peer.peer_outliers` (MAD method): one bad day should
    stand out, not be averaged away over a week.
    """
    items = []
    for feature, frame in group.frames.items():
        flagged: dict[str, list[tuple]] = {}
        for start, part in _windows(frame, window):
            result = peer_outliers(part)
            for host, row in result[result["outlier"]].iterrows():
                flagged.setdefault(host, []).append(
                    (
                        start,
                        start + window,
                        float(row["score"]),
                        float(row["distance"]),
                        int(row["direction"]),
                    )
                )
        for host, windows in sorted(flagged.items()):
            items += [_peer_item(group, feature, host, span) for span in _merge_windows(windows)]
    return sorted(items, key=lambda item: (-item["score"], item["start"]))


def _windows(frame: pd.DataFrame, window: dt.timedelta):
    if frame.shape[1] < MIN_MEMBERS or frame.empty:
        return
    for start, part in frame.groupby(frame.index.floor(pd.Timedelta(window))):
        part = part.dropna(axis=1, how="all")
        if part.shape[1] >= MIN_MEMBERS and len(part) >= 3:
            yield start.to_pydatetime(), part


def _merge_windows(windows: list[tuple]) -> list[tuple]:
    merged = []
    for start, end, score, distance, direction in windows:
        if merged and merged[-1][1] >= start:
            last = merged[-1]
            merged[-1] = (last[0], end, max(last[2], score), max(last[3], distance), last[4])
        else:
            merged.append((start, end, score, distance, direction))
    return merged


_PEER_WORDS = {
    ("level", 1): "above its peers",
    ("level", -1): "below its peers",
    ("variability", 1): "noisier than its peers",
    ("variability", -1): "steadier than its peers",
}


def _peer_item(group: PeerGroupInput, feature: str, host: str, span: tuple) -> dict:
    start, end, score, distance, direction = span
    series = group.series[host]
    return {
        "feature": feature,
        "key": series.key,
        "name": describe_series(series),
        "group": group.group,
        "host": host,
        "metric": group.metric,
        "start": _iso(start),
        "end": _iso(end),
        "score": round(score, 3),
        "distance": round(distance, 2),
        "direction": _PEER_WORDS.get((feature, direction), "unlike its peers"),
    }


# (column in the table, field of the event item): the table says "series"
# where the item holds the series key.
EVENT_COLUMNS = [
    ("rank", "rank"), ("series", "key"), ("host", "host"), ("metric", "metric"), ("start", "start"),
    ("end", "end"), ("duration_seconds", "duration_seconds"), ("peak_score", "peak_score"),
    ("peak_ts", "peak_ts"), ("n_points", "n_points"), ("direction", "direction"), ("detector", "detector"),
]  # fmt: skip


def _alert_item(alert: AlertInput, period_end: dt.datetime) -> dict:
    until = alert.resolved_at or period_end
    fired = alert.fired_at or alert.started_at
    return {
        "rule": alert.rule,
        "severity": alert.severity,
        "key": alert.series.key,
        "name": describe_series(alert.series),
        "fired_at": _iso(alert.fired_at),
        "resolved_at": _iso(alert.resolved_at),
        "duration_seconds": max(0.0, (min(until, period_end) - fired).total_seconds()),
        "state": alert.state,
    }


def _anomaly_sentences(items, groups, outliers, alerts, request: ReportRequest) -> list[str]:
    if not items:
        sentences = ["No anomaly events in this period."]
    else:
        n_series = len({e["key"] for e in items})
        sentences = [f"{len(items)} anomaly events in {n_series} series on {len(groups)} hosts."]
        for event in items[:3]:
            sentences.append(
                f"{event['name']}: {event['direction']} at {_when(event['start'])} for "
                f"{humanize_seconds(max(60.0, event['duration_seconds']))} (score {event['peak_score']:.2f})."
            )
    for outlier in outliers[:3]:
        sentences.append(
            f"{outlier['name']} was {outlier['direction']} ({outlier['group']}) from "
            f"{_when(outlier['start'])} to {_when(outlier['end'])} (score {outlier['score']:.2f})."
        )
    if alerts:
        still = sum(1 for a in alerts if not a["resolved_at"])
        longest = max(alerts, key=lambda a: a["duration_seconds"])
        sentences.append(
            f"{len(alerts)} alerts fired ({still} still open at the end of the period); the longest, "
            f"{longest['rule']} on {longest['name']}, lasted {humanize_seconds(longest['duration_seconds'])}."
        )
    else:
        sentences.append("No alerts fired.")
    return sentences


# What a report rests on -------------------------------------------------------


def describe_coverage(coverage: list[Coverage], start: dt.datetime, end: dt.datetime) -> dict:
    """Series, points and gaps in [start, end): what the report's statements rest on."""
    rows, gaps = [], []
    for item in coverage:
        series_gaps = find_gaps(item.counts, start, end, item.step)
        gaps += [{"series": item.series.key, **gap} for gap in series_gaps]
        rows.append(
            {
                "series": item.series.key,
                "points": int(item.counts.sum()),
                "gaps": len(series_gaps),
                "missing_seconds": sum(g["duration_seconds"] for g in series_gaps),
            }
        )
    return {
        "start": _iso(start),
        "end": _iso(end),
        "n_series": len(rows),
        "n_points": sum(r["points"] for r in rows),
        "series": rows,
        "gaps": gaps,
    }


def find_gaps(counts: pd.Series, start: dt.datetime, end: dt.datetime, step: dt.timedelta) -> list[dict]:
    """Runs of empty `step` buckets in [start, end) longer than the series' usual spacing.

    `counts` is points per bucket (bucket start → count, empty buckets absent).
    A series sampled less often than `step` leaves single empty buckets
    between its points: those are its rhythm, not gaps, so a run counts only
    when it is longer than twice the series' mean spacing.
    """
    n_buckets = max(1, math.ceil((end - start) / step))
    present = np.zeros(n_buckets, dtype=bool)
    if len(counts):
        offsets = ((counts.index - pd.Timestamp(start)) / pd.Timedelta(step)).astype(int)
        present[offsets[(offsets >= 0) & (offsets < n_buckets)]] = True
    n_points = int(counts.sum()) if len(counts) else 0
    spacing = (end - start) / n_points if n_points else end - start
    gaps = []
    for first, last in _false_runs(present):
        gap_start = start + first * step
        gap_end = min(end, start + (last + 1) * step)
        if gap_end - gap_start > 2 * spacing or n_points == 0:
            gaps.append(
                {
                    "start": _iso(gap_start),
                    "end": _iso(gap_end),
                    "duration_seconds": (gap_end - gap_start).total_seconds(),
                }
            )
    return gaps


def _false_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    padded = np.concatenate([[True], mask, [True]]).astype(np.int8)
    changes = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b) - 1) for a, b in zip(changes[::2], changes[1::2], strict=True)]


# Words and shapes ------------------------------------------------------------------


def describe_series(series: SeriesInfo) -> str:
    """A series in words: `disk /var/lib/postgresql on db-1`, `cpu on web-1`."""
    name = series.metric
    for suffix in _METRIC_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            break
    words = [name.replace("_", " ")]
    others = {k: v for k, v in sorted(series.labels.items()) if k != "host"}
    if list(others) == ["mount"]:
        words.append(others["mount"])
    elif others:
        words.append("{" + ", ".join(f"{k}={v}" for k, v in others.items()) + "}")
    if series.labels.get("host"):
        words.append(f"on {series.labels['host']}")
    return " ".join(words)


def humanize_seconds(seconds: float) -> str:
    """`45 minutes`, `6.5 hours`, `4.2 days`."""
    if seconds < 3600:
        return f"{seconds / 60:.0f} minutes"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / 86400:.1f} days"


HORIZON_SYNTAX = r"[0-9]*[1-9][0-9]*[mhdw]"  # a whole number above 0 of a unit (the schema's too)


def parse_horizon(text: str) -> dt.timedelta:
    """`6h`, `1d`, `2w`, `30m` → timedelta; ValueError otherwise."""
    match = re.fullmatch(r"([0-9]+)([mhdw])", str(text).strip())
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"{text!r} is not a horizon such as 30m, 6h, 1d, 2w")
    return dt.timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def role_of(host: str) -> str:
    """The role in a host name, for peer groups: `web-3` → `web-*`, `db1` → `db*`."""
    stem = re.sub(r"\d+$", "", host)
    return f"{stem}*" if stem != host else host


def _report(request: ReportRequest, summary: list[str], coverage, tables: dict, **sections) -> dict:
    return {
        "kind": request.kind,
        "title": request.title or default_title(request),
        "generated_at": _iso(dt.datetime.now(dt.UTC)),
        "period": {"start": _iso(request.start), "end": _iso(request.end)},
        "scope": request.scope or "every series",
        "params": request.params,
        "summary": summary,
        "data": describe_coverage(coverage, request.start, request.end),
        "tables": tables,
        **sections,
    }


def default_title(request: ReportRequest) -> str:
    scope = f" · {request.scope}" if request.scope else ""
    return f"{request.kind.capitalize()} report, {request.end:%a %d %b %Y %H:%M} UTC{scope}"


def _table(title: str, columns: list[str], rows: list[list]) -> dict:
    return {"title": title, "columns": columns, "rows": rows}


def _points(y: pd.Series) -> list[list]:
    return [[_iso(ts), _finite(v)] for ts, v in y.items()]


def _finite(value):
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _iso(when) -> str | None:
    if when is None:
        return None
    if isinstance(when, pd.Timestamp):
        when = when.to_pydatetime()
    return when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _dt(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _when(text: str) -> str:
    return f"{_dt(text):%a %d %b %H:%M} UTC"


def _days(days: float | None, unit: bool = True) -> str:
    if days is None:
        return "beyond the horizon"
    return f"{days:.1f} days" if unit else f"{days:.1f}"
