"""Where a chart places times and values: the plot's fixed 1000 × 300 box
and the scale from a chart's start, end and values to it."""

from __future__ import annotations

import datetime as dt

import numpy as np

from web.charts_data import ChartData

WIDTH, HEIGHT = 1000.0, 300.0


class PlotScale:
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


def as_seconds(ts: np.ndarray) -> np.ndarray:
    """Times as epoch seconds: bands may carry datetime64 (UTC) instead."""
    ts = np.asarray(ts)
    if np.issubdtype(ts.dtype, np.datetime64):
        return ts.astype("datetime64[us]").astype(np.int64) / 1e6
    return ts.astype(np.float64)


def chart_scale(data: ChartData) -> PlotScale:
    """From the chart's start to its end or the last forecast time, over every value shown
    (or over the chart's own `value_range`)."""
    right = max([epoch_seconds(data.end), *(float(as_seconds(b.ts)[-1]) for b in data.forecast if len(b.ts))])
    return PlotScale(epoch_seconds(data.start), right, *(data.value_range or _value_range(data)))


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
