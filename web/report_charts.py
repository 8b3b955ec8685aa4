"""A report's charts, drawn by the pages' renderer (web.charts): what a
report's JSON content says, as web.charts_data.ChartData.

Reports build their content (reports.builders) and render their page by
template name (reports.rendering); the template, web/templates/reports/
report.html, draws its charts through web.templatetags.report_charts,
which calls these. So pages and reports share one chart renderer, and the
reports app imports nothing of the web app.

A report's figure carries no read-out data: its page runs no script.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from web.charts import render_chart
from web.charts_data import Band, ChartData, Marker, Span

# The report's history is hourly means (reports.builders.outline.points of hourly buckets).
HOUR = 3600.0


def forecast_figure(section: dict, title: str = "") -> str:
    """History, forecast mean with 80/95 % bands, the limit and when it is reached."""
    ts, values = _columns(section["history"])
    rows = section["forecast"]
    threshold = section.get("threshold")
    view = _keep_in_view(section, values)
    data = ChartData(
        start=_dt(section["history"][0][0]),
        end=_dt(section["history"][-1][0]),
        ts=ts,
        value=values,
        step_seconds=_step(ts, HOUR),
        forecast=_forecast_bands(rows, view),
        threshold=threshold,
        threshold_marks=_reaching(section),
        now=_dt(rows[0]["ts"]) if rows else None,
        unit=section.get("unit", ""),
        title=title or section.get("name", ""),
        value_range=view,
    )
    return render_chart(data, readout=False)


def event_figure(event: dict) -> str:
    """The event in context: values, the detector's expected band at its points, the anomalies."""
    chart = event["chart"]
    ts, values = _columns(chart["context"])
    flagged = [row for row in chart["flagged"] if row[1] is not None]
    banded = [row for row in flagged if row[3] is not None and row[4] is not None]
    data = ChartData(
        start=_dt(chart["context"][0][0]) if chart["context"] else _dt(event["start"]),
        end=_dt(chart["context"][-1][0]) if chart["context"] else _dt(event["end"]),
        ts=ts,
        value=values,
        step_seconds=_step(ts, 60.0),
        rolling=_expected_band(banded),
        anomalies=[Marker(_dt(r[0]), r[1], f"anomalous: {r[1]:g}") for r in flagged],
        events=[Span(_dt(event["start"]), _dt(event["end"]), f"event #{event.get('rank', '')}")],
        unit=event.get("unit", ""),
        title=event.get("name", ""),
    )
    return render_chart(data, readout=False)


def _forecast_bands(rows: list[dict], view: tuple[float, float] | None) -> list[Band]:
    """The 95 % band (with the mean), then the 80 % one: widest first, as ChartData wants."""
    if not rows:
        return []
    ts = np.array([_dt(r["ts"]).timestamp() for r in rows])
    mean = _hidden_outside(_column(rows, "mean"), view)
    bands, levels = [], []
    for level in (95, 80):
        lo, hi = _column(rows, f"lo-{level}"), _column(rows, f"hi-{level}")
        if lo is not None and hi is not None:
            bands.append(Band(ts, _clipped(lo, view), _clipped(hi, view), label=f"{level} % interval"))
            levels.append(f"{level}")
    if not bands:  # a forecast without intervals still draws its mean
        bands.append(Band(ts, np.full(len(ts), np.nan), np.full(len(ts), np.nan)))
    # The legend names the widest band only: it names them all.
    bands[0].centre = mean
    bands[0].label = f"forecast with {' and '.join(reversed(levels))} % intervals" if levels else "forecast"
    return bands


def _reaching(section: dict) -> list[Span]:
    """When the forecast mean reaches the limit (a line) and the widest interval's edges (a span)."""
    crossing = section.get("crossing")
    if section.get("threshold") is None or not crossing or not crossing.get("expected"):
        return []
    expected = _dt(crossing["expected"])
    marks = [Span(expected, expected, f"reaches the limit around {expected:%d %b %H:%M} UTC")]
    if crossing.get("earliest"):
        # No latest: the interval's lower edge stays below the limit to the horizon's end.
        latest = _dt(crossing.get("latest") or section.get("horizon_end") or crossing["expected"])
        marks.insert(0, Span(_dt(crossing["earliest"]), latest, f"{crossing['level']:g} % interval of when"))
    return marks


def _expected_band(banded: list[list]) -> Band | None:
    """What the detector expected at the flagged points, [ts, value, expected, lo, hi] rows."""
    if not banded:
        return None
    ts = np.array([_dt(r[0]).timestamp() for r in banded])
    expected = np.array([np.nan if r[2] is None else r[2] for r in banded], dtype=np.float64)
    lo, hi = (np.array([r[i] for r in banded], dtype=np.float64) for i in (3, 4))
    return Band(ts, lo, hi, centre=expected, label="expected band")


def _keep_in_view(section: dict, history: np.ndarray) -> tuple[float, float] | None:
    """The value axis on the history and the limit: a forecast running far past
    the limit (or an interval widening without bound) must not flatten the rest.
    Nor does the axis run past what the series can take (above 100 %)."""
    known = history[np.isfinite(history)]
    if not known.size:
        return None
    threshold = section.get("threshold")
    low, high = float(known.min()), float(known.max())
    if threshold is not None:
        low, high = min(low, threshold), max(high, threshold)
    shown = np.concatenate([known, *(_column(section["forecast"], c) for c in _value_columns(section))])
    shown = shown[np.isfinite(shown)]
    span = float(shown.max() - shown.min()) or 1.0
    margin = 0.3 * (high - low or abs(high) or 1.0)
    # As far as every value shown and a little more (5 %), but no farther than the margin.
    bottom = max(min(float(shown.min()), low) - 0.05 * span, low - margin)
    top = min(max(float(shown.max()), high) + 0.05 * span, high + margin)
    lower, upper = section.get("bounds") or (None, None)
    # A hair past the bound, so that a line at 100 % is drawn inside the plot.
    pad = 0.01 * (top - bottom)
    if lower is not None:
        bottom = max(bottom, lower - pad)
    if upper is not None:
        top = min(top, upper + pad)
    return bottom, top


def _value_columns(section: dict) -> list[str]:
    rows = section["forecast"]
    return [c for c in ("mean", "lo-95", "hi-95", "lo-80", "hi-80") if rows and c in rows[0]]


def _clipped(values: np.ndarray, view: tuple[float, float] | None) -> np.ndarray:
    """A band's edge held inside the plot, as the plot's edge would cut it: the page's
    SVG draws what lies outside its box (markers at the edge stay whole)."""
    return values if view is None else np.clip(values, *view)


def _hidden_outside(values: np.ndarray | None, view: tuple[float, float] | None) -> np.ndarray | None:
    """A line's values outside the plot left out: held at the edge, it would seem to level off."""
    if values is None or view is None:
        return values
    return np.where((values >= view[0]) & (values <= view[1]), values, np.nan)


def _columns(points: list[list]) -> tuple[np.ndarray, np.ndarray]:
    ts = np.array([_dt(p[0]).timestamp() for p in points], dtype=np.float64)
    values = np.array([np.nan if p[1] is None else p[1] for p in points], dtype=np.float64)
    return ts, values


def _column(rows: list[dict], name: str) -> np.ndarray | None:
    if not rows or name not in rows[0]:
        return None
    return np.array([np.nan if r[name] is None else r[name] for r in rows], dtype=np.float64)


def _step(ts: np.ndarray, default: float) -> float:
    """The points' spacing (their median gap), for the renderer to tell gaps from steps."""
    return float(np.median(np.diff(ts))) if len(ts) > 1 else default


def _dt(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
