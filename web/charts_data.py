"""What a chart shows, as handed to web.charts.render_chart: the value's
buckets, bands, anomaly markers, event spans and peer series, and the
colours that several series on one chart are drawn in."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

# The colours of several series on one chart (peers): Tableau 10, matplotlib's
# default cycle, so a chart exported through matplotlib has the same colours.
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip


def line_colour(index: int) -> str:
    """The colour of the `index`-th of several series on one chart."""
    return PALETTE[index % len(PALETTE)]


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
    # Times marked in the threshold's colour, without a legend entry (when a
    # forecast reaches the threshold, and the interval of that time): a line
    # where a span's start is its end, else a shaded span.
    threshold_marks: list[Span] = field(default_factory=list)
    now: dt.datetime | None = None
    unit: str = ""
    title: str = ""
    tz: str = "UTC"
    # The value axis, when the values shown must not set it (a forecast's interval
    # widening far past its threshold would flatten the history it continues).
    value_range: tuple[float, float] | None = None
