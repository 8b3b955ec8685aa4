"""Reads for the pages: a series' chart (points, rolling band, anomalies,
forecast), the overview's summaries, and the "has anything changed?" stamps
the pages poll to refresh themselves.

Points and rolling statistics come through the same functions as the API
(`ingestion.queries`, `analytics.queries`); each function here costs a fixed
number of queries whatever the amount of data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import Count, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce

from alerts.choices import OPEN_STATES
from alerts.models import Alert
from analytics.models import Anomaly, AnomalyEvent, Forecast
from analytics.queries import rolling_statistics
from ingestion.models import Series, Source
from web.charts_axes import format_value
from web.charts_data import Band, ChartData, Marker, Span
from web.series_queries import bucket_envelope

MAX_BUCKETS = 600  # about one per two pixels of a laptop-wide chart
MAX_MARKERS = 500
MAX_EVENTS = 200
_STEPS = [
    dt.timedelta(seconds=s)
    for s in (1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
]


def choose_step(span: dt.timedelta, max_buckets: int = MAX_BUCKETS) -> dt.timedelta:
    """The shortest round bucket length that keeps `span` within `max_buckets` buckets."""
    return next((s for s in _STEPS if span / s <= max_buckets), _STEPS[-1])


@dataclass
class SeriesChart:
    """What the series page shows: the chart and the facts beside it."""

    chart: ChartData
    step: dt.timedelta
    events: list[AnomalyEvent]
    n_anomalies: int
    forecast: Forecast | None
    stats: dict  # last, mean, min, max in the range (None when empty)


def series_chart(
    series: Series, start: dt.datetime, end: dt.datetime, window: str, k: float, now: dt.datetime, tz: str
) -> SeriesChart:
    """Load everything the chart of one series shows over [start, end)."""
    step = choose_step(end - start)
    buckets = bucket_envelope(series.pk, start, end, step)
    anomalies = _anomalies(series, start, end)
    events = list(
        AnomalyEvent.objects.filter(series=series, end__gte=start, start__lt=end)
        .select_related("detector")
        .order_by("-start")[:MAX_EVENTS]
    )
    forecast = Forecast.objects.filter(series=series).first()
    many_per_bucket = bool(len(buckets)) and buckets["count"].max() > 1
    chart = ChartData(
        start=start,
        end=end,
        ts=buckets.index.to_numpy(dtype=np.float64),
        value=buckets["mean"].to_numpy(),
        value_min=buckets["min"].to_numpy() if many_per_bucket else None,
        value_max=buckets["max"].to_numpy() if many_per_bucket else None,
        step_seconds=step.total_seconds(),
        rolling=_rolling_band(series.pk, start, end, window, k, step),
        forecast=_forecast_bands(forecast, start, end + (end - start) / 2),
        anomalies=[_marker(a, series.unit) for a in anomalies],
        events=[Span(e.start, e.end, _event_title(e)) for e in events],
        threshold=series.capacity,
        now=now if start < now < end + (end - start) else None,
        unit=series.unit,
        title=series.key,
        tz=tz,
    )
    return SeriesChart(chart, step, events, len(anomalies), forecast, _stats(buckets))


def _anomalies(series: Series, start: dt.datetime, end: dt.datetime) -> list[Anomaly]:
    # The highest scores when there are too many to draw.
    top = Anomaly.objects.filter(series=series, ts__gte=start, ts__lt=end).order_by("-score")[:MAX_MARKERS]
    return sorted(top.select_related("detector"), key=lambda a: a.ts)


def _marker(anomaly: Anomaly, unit: str) -> Marker:
    expected = "" if anomaly.expected is None else f", expected {format_value(anomaly.expected, unit)}"
    title = (
        f"{anomaly.ts:%Y-%m-%d %H:%M} UTC: {format_value(anomaly.value, unit)}{expected}, "
        f"score {anomaly.score:.2f} ({anomaly.detector.name})"
    )
    return Marker(anomaly.ts, anomaly.value, title, anomaly.score)


def _event_title(event: AnomalyEvent) -> str:
    return (
        f"anomaly event {event.start:%Y-%m-%d %H:%M} – {event.end:%H:%M} UTC, "
        f"{event.n_points} points, peak score {event.peak_score:.2f} ({event.detector.name})"
    )


def _rolling_band(series_id, start, end, window: str, k: float, step: dt.timedelta) -> Band | None:
    """Rolling mean ± k·std at full resolution, averaged into the chart's buckets."""
    table = rolling_statistics(series_id, start, end, window)
    if table.empty:
        return None
    seconds = table.index.as_unit("us").asi8 / 1e6
    start_s, step_s = start.timestamp(), step.total_seconds()
    bucket = start_s + np.floor((seconds - start_s) / step_s) * step_s
    grouped = table[["mean", "std"]].groupby(bucket).mean()
    mean, std = grouped["mean"].to_numpy(), grouped["std"].to_numpy()
    return Band(
        ts=grouped.index.to_numpy(dtype=np.float64),
        lo=mean - k * std,
        hi=mean + k * std,
        centre=mean,
        label=f"rolling mean ± {k:g}·std ({window} window)",
    )


def _forecast_bands(forecast: Forecast | None, start: dt.datetime, until: dt.datetime) -> list[Band]:
    """The stored forecast's intervals inside the chart, widest first."""
    if forecast is None or not forecast.points:
        return []
    frame = pd.DataFrame(forecast.points)
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    frame = frame[(frame["ts"] >= start) & (frame["ts"] <= until)]
    if frame.empty:
        return []
    ts = frame["ts"].dt.tz_convert(None).to_numpy(dtype="datetime64[us]")
    mean = frame["mean"].to_numpy(dtype=np.float64)
    levels = sorted(forecast.levels, reverse=True)
    return [
        Band(
            ts=ts,
            lo=frame[f"lo-{level:g}"].to_numpy(dtype=np.float64),
            hi=frame[f"hi-{level:g}"].to_numpy(dtype=np.float64),
            centre=mean,
            label=f"forecast ({forecast.model}) with {', '.join(f'{lv:g}' for lv in levels)} % intervals",
        )
        for level in levels
        if f"lo-{level:g}" in frame
    ]


def _stats(buckets: pd.DataFrame) -> dict:
    if buckets.empty:
        return {"last": None, "mean": None, "min": None, "max": None, "n_points": 0}
    weights = buckets["count"].to_numpy()
    return {
        "last": float(buckets["last"].iloc[-1]),
        "mean": float(np.average(buckets["mean"].to_numpy(), weights=weights)),
        "min": float(buckets["min"].min()),
        "max": float(buckets["max"].max()),
        "n_points": int(weights.sum()),
    }


def hosts(since: dt.datetime):
    """Sources with their number of series, latest point and anomaly events since `since`."""
    events = (
        AnomalyEvent.objects.filter(series__source=OuterRef("pk"), start__gte=since)
        .order_by()
        .values("series__source")
        .annotate(n=Count("pk"))
        .values("n")
    )
    open_alerts = (
        Alert.objects.filter(series__source=OuterRef("pk"), state__in=OPEN_STATES)
        .order_by()
        .values("series__source")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Source.objects.annotate(
        n_series=Count("series"),
        last_ts=Max("series__last_ts"),
        n_events=Coalesce(Subquery(events), 0),
        n_open_alerts=Coalesce(Subquery(open_alerts), 0),
    ).order_by("name")


def open_alerts(limit: int = 20):
    return Alert.objects.open().select_related("rule", "series").order_by("-started_at", "-id")[:limit]


def recent_events(limit: int = 15):
    return AnomalyEvent.objects.select_related("series", "detector").order_by("-start", "-id")[:limit]


def overview_counts(since: dt.datetime) -> dict:
    """Totals for the overview's header, in one query."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT (SELECT count(*) FROM {Series._meta.db_table}),
                   (SELECT count(*) FROM {Alert._meta.db_table} WHERE state = 'firing'),
                   (SELECT count(*) FROM {Alert._meta.db_table} WHERE state = ANY(%s)),
                   (SELECT count(*) FROM {AnomalyEvent._meta.db_table} WHERE start >= %s)
            """,
            [list(OPEN_STATES), since],
        )
        n_series, n_firing, n_open, n_events = cursor.fetchone()
    return {"n_series": n_series, "n_firing": n_firing, "n_open_alerts": n_open, "n_events": n_events}


def overview_stamp() -> str:
    """A text that changes whenever the overview would show something new."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT (SELECT max(last_ts) FROM {Series._meta.db_table}),
                   (SELECT max(id)::text || '/' || max("end")::text FROM {AnomalyEvent._meta.db_table}),
                   (SELECT md5(string_agg(id || state || coalesce(acknowledged_at::text, ''), ',' ORDER BY id))
                      FROM {Alert._meta.db_table} WHERE state = ANY(%s)),
                   (SELECT max(resolved_at) FROM {Alert._meta.db_table})
            """,
            [list(OPEN_STATES)],
        )
        return "|".join(str(part) for part in cursor.fetchone())


def series_stamp(series_id: int) -> str:
    """A text that changes whenever the series page would show something new."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT (SELECT ts FROM tsmon_latest_points(ARRAY[%s]::bigint[], '-infinity', 'infinity')),  -- exact
                   (SELECT max(id) FROM {Anomaly._meta.db_table} WHERE series_id = %s),
                   (SELECT max("end") FROM {AnomalyEvent._meta.db_table} WHERE series_id = %s),
                   (SELECT created_at FROM {Forecast._meta.db_table} WHERE series_id = %s)
            """,
            [series_id] * 4,
        )
        return "|".join(str(part) for part in cursor.fetchone())
