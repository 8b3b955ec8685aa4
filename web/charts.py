"""Time-series charts as inline SVG, rendered on the server: no JavaScript
library and nothing fetched from a CDN, so the pages work offline.

The plot is an SVG in a fixed 1000 × 300 coordinate box stretched to the
width of the page (`preserveAspectRatio="none"`); strokes keep their width
(`vector-effect`) and markers are zero-length round-capped strokes, so they
stay round however the box is stretched. Axis labels are HTML laid over the
plot by percentages, so they stay readable on a phone.

Beside the plot the figure carries what a reader may want to read exactly,
as a JSON data block (`chart_readout`): per time, the value, the expected
value and its band, and how times map to the box's x. web/static/tsmon/
chart.js reads it for a hover read-out and, inside an element marked
`data-chart-zoom`, for drag-to-zoom; without JavaScript nothing changes.

Pure: numbers and datetimes in, markup out; every text is escaped. What a
chart shows is web.charts_data; the scale, axes, shapes and read-out data
are web.charts_scale, charts_axes, charts_svg and charts_readout.
"""

from __future__ import annotations

from html import escape

import numpy as np

from web.charts_axes import format_value, nice_ticks, time_ticks, x_labels, y_labels
from web.charts_data import ChartData, line_colour
from web.charts_readout import readout_script
from web.charts_scale import HEIGHT, WIDTH, PlotScale, chart_scale
from web.charts_svg import (
    anomaly_marker,
    band_area,
    centre_lines,
    envelope_area,
    event_span,
    grid_lines,
    line_path,
    now_line,
    path_through,
    series_line,
    threshold_line,
    threshold_mark,
)


def render_chart(data: ChartData, readout: bool = True) -> str:
    """The chart as HTML: a `figure` holding the SVG plot, its axis labels and its read-out data.

    Without `readout`, no read-out data: a page that runs no script (a report) carries none.
    """
    scale = chart_scale(data)
    y_ticks = nice_ticks(scale.v0, scale.v1)
    x_ticks = time_ticks(scale.t0, scale.t1, data.tz)
    parts = [
        grid_lines(scale, y_ticks, x_ticks),
        *(event_span(scale, s) for s in data.events),
        *(threshold_mark(scale, m) for m in data.threshold_marks),
        *(band_area(scale, b, f"forecast-band forecast-band-{i}") for i, b in enumerate(data.forecast)),
        band_area(scale, data.rolling, "rolling-band") if data.rolling else "",
        envelope_area(scale, data),
        line_path(scale, data.ts, data.value, "value-line", data.step_seconds),
        *(series_line(scale, line, i, data.step_seconds) for i, line in enumerate(data.lines)),
        centre_lines(scale, data),
        threshold_line(scale, data.threshold),
        now_line(scale, data.now),
        *(anomaly_marker(scale, m) for m in data.anomalies),
    ]
    svg = (
        f'<svg class="plot" viewBox="0 0 {WIDTH:g} {HEIGHT:g}" preserveAspectRatio="none" role="img" '
        f'aria-label="{escape(data.title)}">{"".join(parts)}</svg>'
    )
    return (
        f'<figure class="chart" data-testid="chart"><div class="plot-area">{svg}'
        f"{y_labels(scale, y_ticks, data.unit)}{x_labels(scale, x_ticks)}</div>"
        f'<figcaption class="legend">{_legend(data)}</figcaption>'
        f"{readout_script(data, scale) if readout else ''}</figure>"
    )


def render_sparkline(values: list[float | None], title: str = "") -> str:
    """A small line of recent values (no axes), for tables."""
    y = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    if not np.isfinite(y).any():
        return '<span class="muted">no data</span>'
    lo, hi = float(np.nanmin(y)), float(np.nanmax(y))
    scale = PlotScale(0, max(len(y) - 1, 1), lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo) + 1e-12)
    path = path_through(scale.x(np.arange(len(y))), scale.y(y))
    return (
        f'<svg class="spark" viewBox="0 0 {WIDTH:g} {HEIGHT:g}" preserveAspectRatio="none" role="img" '
        f'aria-label="{escape(title)}"><path class="value-line" d="{path}"/></svg>'
    )


def _legend(data: ChartData) -> str:
    lines = "".join(
        f'<span class="key key-value" style="--value:{line_colour(i)}">{escape(line.label)}</span>'
        for i, line in enumerate(data.lines)
    )
    items = [("value", "value" if data.value_min is None else "value (mean, min–max per bucket)")]
    if data.lines and not len(data.value):
        items = []
    if data.rolling is not None:
        items.append(("rolling", data.rolling.label or "rolling mean ± k·std"))
    if data.forecast:
        items.append(("forecast", data.forecast[0].label or "forecast"))
    if data.events:
        items.append(("event", "anomaly event"))
    if data.anomalies:
        items.append(("anomaly", f"anomalous point ({len(data.anomalies)})"))
    if data.threshold is not None:
        items.append(("threshold", f"capacity {format_value(data.threshold, data.unit)}"))
    return lines + "".join(f'<span class="key key-{css}">{escape(text)}</span>' for css, text in items)
