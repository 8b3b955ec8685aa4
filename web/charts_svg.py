"""The shapes of a chart's SVG plot: grid, lines, bands, event spans,
anomaly markers, the capacity threshold (and times marked in its colour)
and the now line.

Markers are zero-length round-capped strokes and strokes keep their width
(`vector-effect`, in the stylesheet), so they stay round however the page
stretches the box. Every text is escaped here.
"""

from __future__ import annotations

import datetime as dt
import math
from html import escape

import numpy as np

from web.charts_data import Band, ChartData, Line, Marker, Span, line_colour
from web.charts_scale import HEIGHT, WIDTH, PlotScale, as_seconds, epoch_seconds


def grid_lines(scale: PlotScale, y_ticks, x_ticks) -> str:
    lines = [f'<path class="grid" d="M0 {float(scale.y(v)):.1f}H{WIDTH:g}"/>' for v in y_ticks]
    lines += [f'<path class="grid" d="M{float(scale.x(t)):.1f} 0V{HEIGHT:g}"/>' for t, _ in x_ticks]
    return "".join(lines)


def path_through(x: np.ndarray, y: np.ndarray, breaks: np.ndarray | None = None) -> str:
    """An SVG path through the finite points, lifting the pen at NaN and at `breaks`."""
    out, pen_down = [], False
    for i, (xi, yi) in enumerate(zip(x, y, strict=True)):
        if not (math.isfinite(xi) and math.isfinite(yi)):
            pen_down = False
            continue
        if breaks is not None and breaks[i]:
            pen_down = False
        out.append(f"{'L' if pen_down else 'M'}{xi:.1f} {yi:.1f}")
        pen_down = True
    return "".join(out)


def _gaps(ts: np.ndarray, step_seconds: float) -> np.ndarray:
    """True where a point follows a gap of more than two steps (no line across it)."""
    breaks = np.zeros(len(ts), dtype=bool)
    if len(ts) > 1:
        breaks[1:] = np.diff(ts) > 2.5 * max(step_seconds, 1e-9)
    return breaks


def line_path(scale: PlotScale, ts, values, css: str, step_seconds: float | None = None) -> str:
    breaks = _gaps(np.asarray(ts, dtype=np.float64), step_seconds) if step_seconds else None
    path = path_through(scale.x(ts), scale.y(values), breaks)
    return f'<path class="{css}" d="{path}"/>' if path else ""


def series_line(scale: PlotScale, line: Line, index: int, step_seconds: float) -> str:
    # The colour goes in the line's own --value, which the stylesheet strokes
    # .value-line with: the page's styles (width, joins) apply unchanged.
    breaks = _gaps(np.asarray(line.ts, dtype=np.float64), step_seconds)
    path = path_through(scale.x(line.ts), scale.y(line.value), breaks)
    if not path:
        return ""
    label = escape(line.label)
    return (
        f'<path class="value-line series-line" style="--value:{line_colour(index)}" data-series="{label}" '
        f'd="{path}"><title>{label}</title></path>'
    )


def _area(scale: PlotScale, ts, lo, hi, css: str, title: str = "") -> str:
    ts, lo, hi = (np.asarray(a, dtype=np.float64) for a in (ts, lo, hi))
    known = np.isfinite(lo) & np.isfinite(hi)
    x, y_lo, y_hi = scale.x(ts), scale.y(lo), scale.y(hi)
    shapes = []
    for run in _runs(known):
        upper = [f"{x[i]:.1f} {y_hi[i]:.1f}" for i in run]
        lower = [f"{x[i]:.1f} {y_lo[i]:.1f}" for i in reversed(run)]
        shapes.append("M" + "L".join(upper + lower) + "Z")
    if not shapes:
        return ""
    tooltip = f"<title>{escape(title)}</title>" if title else ""
    return f'<path class="{css}" d="{"".join(shapes)}">{tooltip}</path>'


def _runs(mask: np.ndarray) -> list[list[int]]:
    runs, current = [], []
    for i, ok in enumerate(mask):
        if ok:
            current.append(i)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def band_area(scale: PlotScale, band: Band, css: str) -> str:
    ts = as_seconds(band.ts)
    return _area(scale, ts, band.lo, band.hi, css, band.label)


def centre_lines(scale: PlotScale, data: ChartData) -> str:
    lines = []
    if data.rolling is not None and data.rolling.centre is not None:
        lines.append(line_path(scale, as_seconds(data.rolling.ts), data.rolling.centre, "rolling-mean"))
    if data.forecast and data.forecast[0].centre is not None:
        lines.append(
            line_path(scale, as_seconds(data.forecast[0].ts), data.forecast[0].centre, "forecast-mean")
        )
    return "".join(lines)


def envelope_area(scale: PlotScale, data: ChartData) -> str:
    if data.value_min is None or data.value_max is None:
        return ""
    return _area(scale, data.ts, data.value_min, data.value_max, "value-envelope")


def event_span(scale: PlotScale, span: Span) -> str:
    x0 = float(np.clip(scale.x(epoch_seconds(span.start)), 0, WIDTH))
    x1 = float(np.clip(scale.x(epoch_seconds(span.end)), 0, WIDTH))
    width = max(x1 - x0, 2.0)
    return (
        f'<rect class="event-span" x="{x0:.1f}" y="0" width="{width:.1f}" height="{HEIGHT:g}">'
        f"<title>{escape(span.title)}</title></rect>"
    )


def anomaly_marker(scale: PlotScale, marker: Marker) -> str:
    x, y = float(scale.x(epoch_seconds(marker.ts))), float(scale.y(marker.value))
    if not (math.isfinite(x) and math.isfinite(y)):
        return ""
    return (
        f'<path class="anomaly-marker" data-ts="{escape(marker.ts.isoformat())}" '
        f'data-score="{marker.score:.2f}" d="M{x:.1f} {y:.1f}h0"><title>{escape(marker.title)}</title></path>'
    )


def threshold_line(scale: PlotScale, threshold: float | None) -> str:
    if threshold is None or not scale.v0 <= threshold <= scale.v1:
        return ""
    y = float(scale.y(threshold))
    return f'<path class="threshold" d="M0 {y:.1f}H{WIDTH:g}"><title>capacity {threshold:g}</title></path>'


def threshold_mark(scale: PlotScale, mark: Span) -> str:
    """A time (a line) or a stretch of time (a span) marked in the threshold's colour."""
    x0, x1 = (float(scale.x(epoch_seconds(t))) for t in (mark.start, mark.end))
    title = f"<title>{escape(mark.title)}</title>"
    if mark.end <= mark.start:
        return (
            f'<path class="threshold-time" d="M{x0:.1f} 0V{HEIGHT:g}">{title}</path>'
            if 0 <= x0 <= WIDTH
            else ""
        )
    x0, x1 = float(np.clip(x0, 0, WIDTH)), float(np.clip(x1, 0, WIDTH))
    return (
        f'<rect class="threshold-span" x="{x0:.1f}" y="0" width="{max(x1 - x0, 2.0):.1f}" height="{HEIGHT:g}">'
        f"{title}</rect>"
    )


def now_line(scale: PlotScale, now: dt.datetime | None) -> str:
    if now is None:
        return ""
    x = float(scale.x(epoch_seconds(now)))
    return f'<path class="now" d="M{x:.1f} 0V{HEIGHT:g}"/>' if 0 < x < WIDTH else ""
