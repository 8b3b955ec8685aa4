"""The data a chart carries for its hover read-out and drag-to-zoom
(web/static/tsmon/chart.js): per time, the value, the expected value and
its band, and how times map to the plot's box, as a JSON block."""

from __future__ import annotations

import json
import math

import numpy as np

from web.charts_data import Band, ChartData, line_colour
from web.charts_scale import HEIGHT, WIDTH, PlotScale, as_seconds, chart_scale, epoch_seconds


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
    return readout_for_scale(data, chart_scale(data))


def readout_for_scale(data: ChartData, scale: PlotScale) -> dict:
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


def readout_script(data: ChartData, scale: PlotScale) -> str:
    # "<", ">" and "&" as JSON escapes, as Django's json_script does: no
    # label can close the script element or be read as markup.
    text = json.dumps(readout_for_scale(data, scale), separators=(",", ":"), allow_nan=False)
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
        *(_ms_array(as_seconds(band.ts)) for _, band in sources),
    ]
    return np.unique(np.concatenate(stamps))


def _expected_columns(times: np.ndarray, sources: list[tuple[str, Band]]) -> dict[str, np.ndarray]:
    """Expected value, band and band index per time: the first source with a band there wins."""
    columns = {name: np.full(len(times), np.nan) for name in ("expected", "lo", "hi", "band")}
    for index, (_, band) in enumerate(sources):
        ts = as_seconds(band.ts)
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
