"""A panel as a file: SVG and PNG drawn by matplotlib, CSV as /api/v1/points writes it.

Pages and reports draw their charts with web.charts: an inline SVG whose
axis labels and colours come from the page's HTML and stylesheet, so on
its own it has no axes. A downloaded file must stand alone, and a PNG is
pixels. This is the one use matplotlib is left in tsmon's server (the
notebook helpers, tsmon.notebook, use it too): to draw a panel's download,
SVG and PNG from one figure, the same picture in both, in the page's
colours (web.charts_data.PALETTE), with the SVG's text kept as text.
Turning the page's SVG into a PNG would need a rasteriser tsmon does not
otherwise have (cairosvg and the Cairo library, or a browser), for a
picture without axes.

pyplot is not used: its global figure registry is not safe in the web
server's threads. Figures are made directly (matplotlib's advice for web
servers), and one lock keeps the style (rcParams, which are global) of one
drawing from changing under another.
"""

from __future__ import annotations

import io
import threading
from zoneinfo import ZoneInfo

import numpy as np
from matplotlib import dates as mdates
from matplotlib import rc_context
from matplotlib.figure import Figure

from core.durations import format_seconds
from ingestion.renderers import points_csv
from web.charts_axes import format_value
from web.charts_data import line_colour
from web.panel_data import PanelData

WIDTH_INCHES, HEIGHT_INCHES, PNG_DPI = 10.0, 3.8, 100  # a PNG of 1000 × 380 pixels
STYLE = {
    "svg.fonttype": "none",  # text stays text: smaller, selectable, in the reader's own font
    "font.family": "sans-serif",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#9aa3b2",
    "axes.grid": True,
    "grid.color": "#e6e9ef",
    "grid.linewidth": 0.6,
    "svg.hashsalt": "tsmon",  # stable element ids: the same panel draws to the same bytes
}
_DRAWING = threading.Lock()


def panel_svg(data: PanelData, tz: str) -> bytes:
    """The panel as a standalone SVG document."""
    return _render(data, tz, "svg", metadata={"Date": None, "Creator": None})


def panel_png(data: PanelData, tz: str) -> bytes:
    return _render(data, tz, "png", metadata={"Software": None}, dpi=PNG_DPI)


def panel_csv(data: PanelData) -> bytes:
    """series_id, key, ts, value: one row per bucket, as /api/v1/points?format=csv writes them."""
    described = [{"id": s.series.pk, "key": s.series.key} for s in data.series]
    return b"".join(points_csv(described, [data.rows]))


def _render(data: PanelData, tz: str, file_format: str, **options) -> bytes:
    out = io.BytesIO()
    with _DRAWING, rc_context(STYLE):
        figure = _figure(data, ZoneInfo(tz))
        figure.savefig(out, format=file_format, **options)
    return out.getvalue()


def _figure(data: PanelData, zone: ZoneInfo) -> Figure:
    figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES))
    ax = figure.subplots()
    step = data.step.total_seconds()
    for index, series in enumerate(data.series):
        times, values = _with_gaps(series.ts, series.value, step)
        # "$" in a label is text, not the start of a formula (mathtext).
        label = series.label.replace("$", r"\$")
        ax.plot(times, values, color=line_colour(index), linewidth=1.2, label=label)
    ax.set_xlim(data.start, data.end)
    locator = mdates.AutoDateLocator(tz=zone, minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=zone))
    ax.yaxis.set_major_formatter(lambda value, _: format_value(value, data.unit))
    ax.set_title(str(data.panel), loc="left", fontsize=10, parse_math=False)
    ax.set_xlabel(_caption(data, zone), fontsize=8, color="#5b6473", parse_math=False)
    if not data.rows:
        ax.text(0.5, 0.5, data.error or "no data in this window", transform=ax.transAxes, ha="center")
    elif data.series:
        # Below the axes: inside them, the legend covers the lines it names.
        ax.legend(loc="upper left", bbox_to_anchor=(0, -0.28), fontsize=7.5, frameon=False, ncol=4)
    figure.tight_layout(pad=0.4)
    return figure


def _caption(data: PanelData, zone: ZoneInfo) -> str:
    start, end = data.start.astimezone(zone), data.end.astimezone(zone)
    step = format_seconds(int(data.step.total_seconds()))
    return f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M} {zone.key} · {data.panel.aggregation} per {step}"


def _with_gaps(ts: np.ndarray, values: np.ndarray, step_seconds: float) -> tuple[np.ndarray, np.ndarray]:
    """Times (datetime64, UTC) and values with a NaN after each gap of more than two steps,
    where matplotlib lifts the pen: as the page's chart does, no line across missing data."""
    gaps = np.flatnonzero(np.diff(ts) > 2.5 * step_seconds) + 1
    ts = np.insert(ts, gaps, ts[gaps - 1] + step_seconds)
    values = np.insert(values, gaps, np.nan)
    return np.round(ts * 1e6).astype(np.int64).astype("datetime64[us]"), values
