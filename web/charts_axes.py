"""A chart's axes: round ticks for values and times, the short form values
are written in, and the HTML labels laid over the plot."""

from __future__ import annotations

import datetime as dt
import math
from html import escape
from zoneinfo import ZoneInfo

from web.charts_scale import HEIGHT, WIDTH, PlotScale

_TIME_STEPS = [
    dt.timedelta(seconds=s)
    for s in (1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
] + [dt.timedelta(days=d) for d in (2, 7, 14, 30)]


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


def y_labels(scale: PlotScale, ticks: list[float], unit: str) -> str:
    labels = "".join(
        f'<span style="top:{float(scale.y(v)) / HEIGHT * 100:.2f}%">{escape(format_value(v, unit))}</span>'
        for v in ticks
    )
    return f'<div class="y-labels" aria-hidden="true">{labels}</div>'


def x_labels(scale: PlotScale, ticks: list[tuple[float, str]]) -> str:
    labels = "".join(
        f'<span style="left:{float(scale.x(t)) / WIDTH * 100:.2f}%">{escape(text)}</span>'
        for t, text in ticks
    )
    return f'<div class="x-labels" aria-hidden="true">{labels}</div>'
