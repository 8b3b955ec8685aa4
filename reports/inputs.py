"""What a report is built from, read from the database into `reports.builders` inputs.

Reads go through `ingestion.queries` (points, downsampling) and
`analytics.forecasting` (the one way tsmon forecasts a series), so a report
says what the API and the alerting say about the same data.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable

import pandas as pd
from django.db.models import Q, QuerySet

from alerts.models import Alert
from analytics.algorithms.peer_groups import peer_groups
from analytics.choices import DetectorKind
from analytics.forecasting import NotEnoughData, forecast_series, history_frame, series_bounds
from analytics.models import Anomaly, AnomalyEvent
from core.durations import parse_duration
from core.time_range import floor_time
from ingestion.models import Series
from ingestion.queries import downsample, read_series_frame, select_series
from ingestion.selectors import parse_selector
from reports import builders

MAX_BUCKETS = 2000  # per series, for coverage and peer groups: enough to see a 10-minute gap in two weeks
MAX_EVENTS = 2000
MAX_CONTEXT_POINTS = 600
CHART_HISTORY = dt.timedelta(days=7)
FORECAST_STEP = dt.timedelta(hours=1)

Progress = Callable[[float, str], None]


def series_in_scope(selector: str) -> QuerySet:
    """The series a report covers: those its selector matches, or all."""
    queryset = Series.objects.order_by("key")
    return select_series(parse_selector(selector), queryset) if selector.strip() else queryset


def series_info(series: Series) -> builders.SeriesInfo:
    return builders.SeriesInfo(
        series.key, series.metric, series.labels, series.unit, series.capacity, series_bounds(series)
    )


def coverage(series: list[Series], start: dt.datetime, end: dt.datetime) -> list[builders.Coverage]:
    """Points per bucket of every series, for the report's account of its data and gaps."""
    step = bucket_step(start, end, minimum=dt.timedelta(minutes=1))
    rows = downsample([s.pk for s in series], start, end, step, "count")
    counts: dict[int, list] = {s.pk: [] for s in series}
    for row in rows:
        counts[row.series_id].append((row.ts, row.value))
    return [builders.Coverage(series_info(s), _frame(counts[s.pk]), step) for s in series]


def bucket_step(start: dt.datetime, end: dt.datetime, minimum: dt.timedelta) -> dt.timedelta:
    """A whole number of minutes giving at most MAX_BUCKETS buckets in [start, end)."""
    minutes = math.ceil((end - start) / dt.timedelta(minutes=1) / MAX_BUCKETS)
    return max(minimum, dt.timedelta(minutes=minutes))


def forecasts(
    series: list[Series], end: dt.datetime, history: dt.timedelta, horizon: dt.timedelta, progress: Progress
) -> list[builders.SeriesForecastInput]:
    """Each series forecast as `analytics.forecasting.forecast_series` does it, with its recent history."""
    items = []
    for index, one in enumerate(series):
        progress(index / max(1, len(series)), f"forecasting {one.key}")
        items.append(_forecast(one, end, history, horizon))
    return items


def _forecast(series: Series, end: dt.datetime, history: dt.timedelta, horizon: dt.timedelta):
    shown_to = floor_time(end, FORECAST_STEP)
    shown = history_frame(series.pk, shown_to - min(history, CHART_HISTORY), shown_to, FORECAST_STEP)
    item = builders.SeriesForecastInput(series=series_info(series), history=shown, step=FORECAST_STEP)
    try:
        result = forecast_series(series, end, horizon=horizon, step=FORECAST_STEP, history=history)
    except NotEnoughData as exc:
        item.not_forecast_because = str(exc)
        return item
    item.forecast, item.model, item.skill = result.frame, result.model, result.skill
    item.method = result.method
    item.threshold, item.crossing = result.threshold, result.crossing
    return item


def events(series: QuerySet, start: dt.datetime, end: dt.datetime) -> list[builders.EventInput]:
    """Anomaly events overlapping [start, end); the strongest come with their data in context."""
    rows = list(
        AnomalyEvent.objects.filter(series__in=series, end__gte=start, start__lt=end)
        .select_related("series", "detector")
        .order_by("-peak_score", "start")[:MAX_EVENTS]
    )
    items = [_event(row) for row in rows]
    for item, row in builders.rank_events(list(zip(items, rows, strict=True)))[: builders.MAX_EVENT_CHARTS]:
        item.context, item.flagged = _event_context(row)
    return items


def _event(row: AnomalyEvent) -> builders.EventInput:
    return builders.EventInput(
        series=series_info(row.series),
        start=row.start,
        end=row.end,
        peak_score=row.peak_score,
        peak_ts=row.peak_ts,
        n_points=row.n_points,
        direction=row.direction,
        detector=row.detector.name,
        window=_verdict_window(row.detector),
        context=pd.Series(dtype=float),
        flagged=pd.DataFrame(columns=["value", "expected", "lo", "hi"]),
    )


def _verdict_window(detector) -> dt.timedelta | None:
    """A peer-group detector judges whole windows and stamps each verdict at its window's end."""
    if detector.kind != DetectorKind.PEER_GROUP:
        return None
    return parse_duration(detector.params.get("window", "1h"), "window")


def _event_context(row: AnomalyEvent) -> tuple[pd.Series, pd.DataFrame]:
    """The values around an event (as long again on each side, 30 min to 1 day) and its flagged points."""
    pad = min(max(row.end - row.start, dt.timedelta(minutes=30)), dt.timedelta(days=1))
    context = read_series_frame(row.series_id, row.start - pad, row.end + pad + dt.timedelta(minutes=1))
    if len(context) > MAX_CONTEXT_POINTS:
        bucket = (context.index[-1] - context.index[0]) / MAX_CONTEXT_POINTS
        context = context.resample(bucket.ceil("1min")).mean()
    flagged = pd.DataFrame.from_records(
        Anomaly.objects.filter(
            detector_id=row.detector_id, series_id=row.series_id, ts__gte=row.start, ts__lte=row.end
        ).values_list("ts", "value", "expected", "lo", "hi"),
        columns=["ts", "value", "expected", "lo", "hi"],
    ).set_index("ts")
    return context, flagged


def peer_group_frames(
    series: QuerySet, start: dt.datetime, end: dt.datetime
) -> list[builders.PeerGroupInput]:
    """The peer groups of these series (analytics.algorithms.peer_groups), aligned in time."""
    step = bucket_step(start, end, minimum=dt.timedelta(minutes=5))
    items = []
    for group in peer_groups(series.filter(Q(labels__has_key="host") | Q(labels__has_key="instance"))):
        ids = [s.pk for s in group.members.values()]
        host_of = {s.pk: host for host, s in group.members.items()}
        frames = {
            feature: _pivot(downsample(ids, start, end, step, agg), host_of)
            for feature, agg in (("level", "mean"), ("variability", "stddev"))
        }
        members = {host: series_info(s) for host, s in group.members.items()}
        items.append(builders.PeerGroupInput(group.metric, group.name, frames, members))
    return items


def alerts(series: QuerySet, start: dt.datetime, end: dt.datetime) -> list[builders.AlertInput]:
    """Alerts on these series that were firing at some time in [start, end].

    The end is included: a report made at the moment an alert fires must not say that none did.
    """
    rows = (
        Alert.objects.filter(series__in=series, fired_at__isnull=False, fired_at__lte=end)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=start))
        .select_related("rule", "series")
        .order_by("fired_at")
    )
    return [
        builders.AlertInput(
            rule=a.rule.name,
            severity=a.rule.severity,
            series=series_info(a.series),
            state=a.state,
            started_at=a.started_at,
            fired_at=a.fired_at,
            resolved_at=a.resolved_at,
        )
        for a in rows
    ]


def _pivot(rows, host_of: dict[int, str]) -> pd.DataFrame:
    """Downsampled rows as a frame: one column per host, one row per bucket."""
    frame = pd.DataFrame(
        [(r.ts, host_of[r.series_id], r.value) for r in rows], columns=["ts", "host", "value"]
    ).pivot(index="ts", columns="host", values="value")
    frame.index = pd.DatetimeIndex(frame.index).tz_convert("UTC")
    return frame.astype(float)


def _frame(pairs: list) -> pd.Series:
    if not pairs:
        return pd.Series(dtype=float)
    index = pd.DatetimeIndex([p[0] for p in pairs]).tz_convert("UTC")
    return pd.Series([p[1] for p in pairs], index=index, dtype=float)
