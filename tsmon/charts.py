"""Time-series charts as inline SVG, rendered on the server: no JavaScript
library and nothing fetched from a CDN, so the pages work offline.

The plot is an SVG in a fixed 1000 × 300 coordinate box stretched to the
width of the page (`preserveAspectRatio="none"`); strokes keep their width
(`vector-effect`) and markers are zero-length round-capped strokes, so they
stay round however the box is stretched. Axis labels are HTML laid over the
plot by percentages, so they stay readable on a phone.

Beside the plot the figure carries what a reader may want to read exactly,
as a JSON data block (`chart_readout`): per time, the value, the expected
value and its band, and how times map to the box's x. tsmon/static/tsmon/
chart.js reads it for a hover read-out and, inside an element marked
`data-chart-zoom`, for drag-to-zoom; without JavaScript nothing changes.

Pure: numbers and datetimes in, markup out; every text is escaped here.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from html import escape
from zoneinfo import ZoneInfo

import numpy as np

WIDTH, HEIGHT = 1000.0, 300.0
_TIME_STEPS = [
    dt.timedelta(seconds=s)
    for s in (1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
] + [dt.timedelta(days=d) for d in (2, 7, 14, 30)]
# The colours of several series on one chart (peers): Tableau 10, matplotlib's
# default cycle, so a chart exported through matplotlib has the same colours.
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip


@dataclass
class Band:
    """A filled area between `lo` and `hi` (optionally with a centre line) over `ts`."""

    ts: np.ndarray  # datetime64[us] (UTC) or epoch seconds, shape (n,)
    lo: np.ndarray
    hi: np.ndarray
    centre: np.ndarray | None = None
    label: str = ""


@dataclass
class Marker:
    ts: dt.datetime
    value: float
    title: str
    score: float = 1.0


@dataclass
class Span:
    start: dt.datetime
    end: dt.datetime
    title: str


@dataclass
class Line:
    """One of several series drawn on one chart (peers), each in a colour of its own."""

    ts: np.ndarray  # epoch seconds, float64
    value: np.ndarray  # NaN = no data
    label: str


@dataclass
class ChartData:
    """Everything one chart shows; only `start`, `end` and the values are required."""

    start: dt.datetime
    end: dt.datetime
    ts: np.ndarray  # epoch seconds, float64
    value: np.ndarray  # one value per bucket (the mean), NaN = no data
    value_min: np.ndarray | None = None  # per-bucket extremes, when buckets hold many points
    value_max: np.ndarray | None = None
    step_seconds: float = 60.0
    rolling: Band | None = None
    forecast: list[Band] = field(default_factory=list)  # widest first
    anomalies: list[Marker] = field(default_factory=list)
    events: list[Span] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)  # series beside `value` (which may then be empty)
    threshold: float | None = None
    now: dt.datetime | None = None
    unit: str = ""
    title: str = ""
    tz: str = "UTC"


class _Scale:
    """Maps times and values to the 1000 × 300 box."""

    def __init__(self, t0: float, t1: float, v0: float, v1: float):
        self.t0, self.t1 = t0, max(t1, t0 + 1)
        self.v0, self.v1 = v0, v1 if v1 > v0 else v0 + 1

    def x(self, t):
        return (np.asarray(t, dtype=np.float64) - self.t0) / (self.t1 - self.t0) * WIDTH

    def y(self, v):
        return HEIGHT - (np.asarray(v, dtype=np.float64) - self.v0) / (self.v1 - self.v0) * HEIGHT


def epoch_seconds(when: dt.datetime) -> float:
    return when.timestamp()


def render_chart(data: ChartData) -> str:
    """The chart as HTML: a `figure` holding the SVG plot, its axis labels and its read-out data."""
    scale = _chart_scale(data)
    y_ticks = nice_ticks(scale.v0, scale.v1)
    x_ticks = time_ticks(scale.t0, scale.t1, data.tz)
    parts = [
        _grid(scale, y_ticks, x_ticks),
        *(_span(scale, s) for s in data.events),
        *(_band(scale, b, f"forecast-band forecast-band-{i}") for i, b in enumerate(data.forecast)),
        _band(scale, data.rolling, "rolling-band") if data.rolling else "",
        _envelope(scale, data),
        _line(scale, data.ts, data.value, "value-line", data.step_seconds),
        *(_series_line(scale, line, i, data.step_seconds) for i, line in enumerate(data.lines)),
        _centre_lines(scale, data),
        _threshold(scale, data.threshold),
        _now(scale, data.now),
        *(_marker(scale, m) for m in data.anomalies),
    ]
    svg = (
        f'<svg class="plot" viewBox="0 0 {WIDTH:g} {HEIGHT:g}" preserveAspectRatio="none" role="img" '
        f'aria-label="{escape(data.title)}">{"".join(parts)}</svg>'
    )
    return (
        f'<figure class="chart" data-testid="chart"><div class="plot-area">{svg}'
        f"{_y_labels(scale, y_ticks, data.unit)}{_x_labels(scale, x_ticks)}</div>"
        f'<figcaption class="legend">{_legend(data)}</figcaption>{_readout_block(data, scale)}</figure>'
    )


def chart_readout(data: ChartData) -> dict:
    """What the hover read-out shows, per time, and how the plot places times and values.

    Times are epoch milliseconds, sorted: the value's buckets and the times of
    the bands, merged. At each time `expected`, `lo` and `hi` come from the
    rolling band, else from the widest forecast band (`band` names which, as
    an index into `bands`); a column is null where that series has no point.
    `x` maps a time to the 1000-wide box (x = (t − t0) / (t1 − t0) · width),
    `y` a value to the 300-high one, as the SVG draws them. Each of the
    chart's `lines` comes with its label, colour and values at those times.
    """
    return _readout_scaled(data, _chart_scale(data))


def _readout_scaled(data: ChartData, scale: _Scale) -> dict:
    """`chart_readout` with the plot's scale already at hand (render_chart has it)."""
    sources = _readout_sources(data)
    times = _readout_times(data, sources)
    columns = {"value": _at_times(times, data.ts, data.value)}
    if data.value_min is not None and data.value_max is not None:
        columns["min"] = _at_times(times, data.ts, data.value_min)
        columns["max"] = _at_times(times, data.ts, data.value_max)
    columns |= _expected_columns(times, sources)
    return {
        "tz": data.tz,
        "unit": data.unit,
        "step_ms": round(data.step_seconds * 1000),
        "start_ms": _ms(epoch_seconds(data.start)),
        "end_ms": _ms(epoch_seconds(data.end)),
        "x": {"t0_ms": _ms(scale.t0), "t1_ms": _ms(scale.t1), "width": WIDTH},
        "y": {"v0": _json_number(scale.v0), "v1": _json_number(scale.v1), "height": HEIGHT},
        "bands": [band.label or name for name, band in sources],
        "t": [int(t) for t in times],
        **{name: [_json_number(v) for v in column] for name, column in columns.items()},
        "lines": [
            {
                "label": line.label,
                "colour": line_colour(i),
                "value": [_json_number(v) for v in _at_times(times, line.ts, line.value)],
            }
            for i, line in enumerate(data.lines)
        ],
    }


def _chart_scale(data: ChartData) -> _Scale:
    """From the chart's start to its end or the last forecast time, over every value shown."""
    right = max(
        [epoch_seconds(data.end), *(float(_as_seconds(b.ts)[-1]) for b in data.forecast if len(b.ts))]
    )
    return _Scale(epoch_seconds(data.start), right, *_value_range(data))


def render_sparkline(values: list[float | None], title: str = "") -> str:
    """A small line of recent values (no axes), for tables."""
    y = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    if not np.isfinite(y).any():
        return '<span class="muted">no data</span>'
    lo, hi = float(np.nanmin(y)), float(np.nanmax(y))
    scale = _Scale(0, max(len(y) - 1, 1), lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo) + 1e-12)
    path = _path(scale.x(np.arange(len(y))), scale.y(y))
    return (
        f'<svg class="spark" viewBox="0 0 {WIDTH:g} {HEIGHT:g}" preserveAspectRatio="none" role="img" '
        f'aria-label="{escape(title)}"><path class="value-line" d="{path}"/></svg>'
    )


def _value_range(data: ChartData) -> tuple[float, float]:
    arrays = [data.value, data.value_min, data.value_max, *(line.value for line in data.lines)]
    if data.rolling is not None:
        arrays += [data.rolling.lo, data.rolling.hi]
    for band in data.forecast:
        arrays += [band.lo, band.hi]
    arrays.append(np.array([m.value for m in data.anomalies], dtype=np.float64))
    finite = np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays if a is not None])
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return 0.0, 1.0
    lo, hi = float(finite.min()), float(finite.max())
    if data.threshold is not None and lo <= data.threshold <= hi + 0.25 * (hi - lo):
        hi = max(hi, data.threshold)
    pad = 0.06 * (hi - lo) if hi > lo else max(abs(hi) * 0.1, 1.0)
    return lo - pad, hi + pad


def nice_ticks(lo: float, hi: float, target: int = 5) -> list[float]:
    """Round values (1, 2, 5 × 10^k apart) between `lo` and `hi`."""
    raw = (hi - lo) / target
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = math.ceil(lo / step) * step
    return [round(first + i * step, 12) for i in range(int((hi - first) / step) + 1)]


def time_ticks(t0: float, t1: float, tz: str, target: int = 6) -> list[tuple[float, str]]:
    """Round times between `t0` and `t1` (epoch seconds) with labels in `tz`."""
    zone = ZoneInfo(tz)
    span = t1 - t0
    step = next((s for s in _TIME_STEPS if s.total_seconds() >= span / target), _TIME_STEPS[-1])
    seconds = step.total_seconds()
    # Align on the local clock, so that daily ticks fall on local midnight.
    offset = dt.datetime.fromtimestamp(t0, zone).utcoffset().total_seconds()
    first = math.ceil((t0 + offset) / seconds) * seconds - offset
    fmt = "%H:%M" if span <= 86400 else ("%a %d %H:%M" if seconds < 86400 else "%b %d")
    ticks = []
    t = first
    while t <= t1:
        ticks.append((t, dt.datetime.fromtimestamp(t, zone).strftime(fmt)))
        t += seconds
    return ticks


def format_value(value: float, unit: str = "") -> str:
    """A short human form: 3 significant digits, SI prefixes for large numbers."""
    if value is None or not math.isfinite(value):
        return "–"
    size = abs(value)
    for factor, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if size >= factor:
            return f"{value / factor:.3g}{prefix}{_unit_suffix(unit)}"
    return f"{value:.3g}{_unit_suffix(unit)}"


def _unit_suffix(unit: str) -> str:
    return {"percent": "%", "seconds": " s", "bytes": " B", "bytes/s": " B/s"}.get(
        unit, f" {unit}" if unit else ""
    )


def _grid(scale: _Scale, y_ticks, x_ticks) -> str:
    lines = [f'<path class="grid" d="M0 {float(scale.y(v)):.1f}H{WIDTH:g}"/>' for v in y_ticks]
    lines += [f'<path class="grid" d="M{float(scale.x(t)):.1f} 0V{HEIGHT:g}"/>' for t, _ in x_ticks]
    return "".join(lines)


def _path(x: np.ndarray, y: np.ndarray, breaks: np.ndarray | None = None) -> str:
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


def _line(scale: _Scale, ts, values, css: str, step_seconds: float | None = None) -> str:
    breaks = _gaps(np.asarray(ts, dtype=np.float64), step_seconds) if step_seconds else None
    path = _path(scale.x(ts), scale.y(values), breaks)
    return f'<path class="{css}" d="{path}"/>' if path else ""


def line_colour(index: int) -> str:
    """The colour of the `index`-th of several series on one chart."""
    return PALETTE[index % len(PALETTE)]


def _series_line(scale: _Scale, line: Line, index: int, step_seconds: float) -> str:
    # The colour goes in the line's own --value, which the stylesheet strokes
    # .value-line with: the page's styles (width, joins) apply unchanged.
    breaks = _gaps(np.asarray(line.ts, dtype=np.float64), step_seconds)
    path = _path(scale.x(line.ts), scale.y(line.value), breaks)
    if not path:
        return ""
    label = escape(line.label)
    return (
        f'<path class="value-line series-line" style="--value:{line_colour(index)}" data-series="{label}" '
        f'd="{path}"><title>{label}</title></path>'
    )


def _area(scale: _Scale, ts, lo, hi, css: str, title: str = "") -> str:
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


def _band(scale: _Scale, band: Band, css: str) -> str:
    ts = _as_seconds(band.ts)
    return _area(scale, ts, band.lo, band.hi, css, band.label)


def _centre_lines(scale: _Scale, data: ChartData) -> str:
    lines = []
    if data.rolling is not None and data.rolling.centre is not None:
        lines.append(_line(scale, _as_seconds(data.rolling.ts), data.rolling.centre, "rolling-mean"))
    if data.forecast and data.forecast[0].centre is not None:
        lines.append(_line(scale, _as_seconds(data.forecast[0].ts), data.forecast[0].centre, "forecast-mean"))
    return "".join(lines)


def _envelope(scale: _Scale, data: ChartData) -> str:
    if data.value_min is None or data.value_max is None:
        return ""
    return _area(scale, data.ts, data.value_min, data.value_max, "value-envelope")


def _as_seconds(ts: np.ndarray) -> np.ndarray:
    ts = np.asarray(ts)
    if np.issubdtype(ts.dtype, np.datetime64):
        return ts.astype("datetime64[us]").astype(np.int64) / 1e6
    return ts.astype(np.float64)


def _span(scale: _Scale, span: Span) -> str:
    x0 = float(np.clip(scale.x(epoch_seconds(span.start)), 0, WIDTH))
    x1 = float(np.clip(scale.x(epoch_seconds(span.end)), 0, WIDTH))
    width = max(x1 - x0, 2.0)
    return (
        f'<rect class="event-span" x="{x0:.1f}" y="0" width="{width:.1f}" height="{HEIGHT:g}">'
        f"<title>{escape(span.title)}</title></rect>"
    )


def _marker(scale: _Scale, marker: Marker) -> str:
    x, y = float(scale.x(epoch_seconds(marker.ts))), float(scale.y(marker.value))
    if not (math.isfinite(x) and math.isfinite(y)):
        return ""
    return (
        f'<path class="anomaly-marker" data-ts="{escape(marker.ts.isoformat())}" '
        f'data-score="{marker.score:.2f}" d="M{x:.1f} {y:.1f}h0"><title>{escape(marker.title)}</title></path>'
    )


def _threshold(scale: _Scale, threshold: float | None) -> str:
    if threshold is None or not scale.v0 <= threshold <= scale.v1:
        return ""
    y = float(scale.y(threshold))
    return f'<path class="threshold" d="M0 {y:.1f}H{WIDTH:g}"><title>capacity {threshold:g}</title></path>'


def _now(scale: _Scale, now: dt.datetime | None) -> str:
    if now is None:
        return ""
    x = float(scale.x(epoch_seconds(now)))
    return f'<path class="now" d="M{x:.1f} 0V{HEIGHT:g}"/>' if 0 < x < WIDTH else ""


def _y_labels(scale: _Scale, ticks: list[float], unit: str) -> str:
    labels = "".join(
        f'<span style="top:{float(scale.y(v)) / HEIGHT * 100:.2f}%">{escape(format_value(v, unit))}</span>'
        for v in ticks
    )
    return f'<div class="y-labels" aria-hidden="true">{labels}</div>'


def _x_labels(scale: _Scale, ticks: list[tuple[float, str]]) -> str:
    labels = "".join(
        f'<span style="left:{float(scale.x(t)) / WIDTH * 100:.2f}%">{escape(text)}</span>'
        for t, text in ticks
    )
    return f'<div class="x-labels" aria-hidden="true">{labels}</div>'


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


def _readout_block(data: ChartData, scale: _Scale) -> str:
    # "<", ">" and "&" as JSON escapes, as Django's json_script does: no
    # label can close the script element or be read as markup.
    text = json.dumps(_readout_scaled(data, scale), separators=(",", ":"), allow_nan=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script type="application/json" class="chart-readout-data">{text}</script>'


def _readout_sources(data: ChartData) -> list[tuple[str, Band]]:
    """The bands the read-out takes expected values from, in order of preference."""
    sources = [("rolling", data.rolling)] if data.rolling is not None else []
    if data.forecast:
        sources.append(("forecast", data.forecast[0]))
    return sources


def _readout_times(data: ChartData, sources: list[tuple[str, Band]]) -> np.ndarray:
    stamps = [
        _ms_array(data.ts),
        *(_ms_array(line.ts) for line in data.lines),
        *(_ms_array(_as_seconds(band.ts)) for _, band in sources),
    ]
    return np.unique(np.concatenate(stamps))


def _expected_columns(times: np.ndarray, sources: list[tuple[str, Band]]) -> dict[str, np.ndarray]:
    """Expected value, band and band index per time: the first source with a band there wins."""
    columns = {name: np.full(len(times), np.nan) for name in ("expected", "lo", "hi", "band")}
    for index, (_, band) in enumerate(sources):
        ts = _as_seconds(band.ts)
        lo, hi = _at_times(times, ts, band.lo), _at_times(times, ts, band.hi)
        centre = _at_times(times, ts, band.centre) if band.centre is not None else np.full(len(times), np.nan)
        free = np.isnan(columns["band"]) & np.isfinite(lo) & np.isfinite(hi)
        for name, column in (("expected", centre), ("lo", lo), ("hi", hi)):
            columns[name][free] = column[free]
        columns["band"][free] = index
    return columns


def _at_times(times: np.ndarray, ts, values) -> np.ndarray:
    """`values` placed at their times among `times` (epoch ms); NaN where they have none."""
    out = np.full(len(times), np.nan)
    stamps = _ms_array(np.asarray(ts, dtype=np.float64))
    if len(stamps):
        out[np.searchsorted(times, stamps)] = np.asarray(values, dtype=np.float64)
    return out


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def _ms_array(seconds: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(seconds, dtype=np.float64) * 1000).astype(np.int64)


def _json_number(value: float) -> float | int | None:
    """A float to 7 significant digits (the read-out shows 3), None for NaN and infinities.

    Seven digits keep a 600-bucket chart's data block near a third of what
    full precision takes; whole numbers (band indexes too) lose their ".0".
    """
    if not math.isfinite(value):
        return None
    short = float(f"{value:.7g}")
    return int(short) if short.is_integer() and abs(short) < 2**53 else short
