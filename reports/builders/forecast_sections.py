"""One series' forecast as a report section: history, forecast, horizons, limit and chances.

The chart, the tables and the sentences of the forecast and capacity
reports all read these sections, so they cannot disagree.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from reports.builders.input_types import SeriesForecastInput
from reports.builders.outline import finite, iso, parse_iso, points
from reports.builders.words import describe_series

BASELINE = "seasonal naive"


def forecast_section(item: SeriesForecastInput, horizons, origin: dt.datetime) -> dict:
    """The section of one series; `horizons` is [(text, timedelta)] for the horizon table."""
    lower, upper = item.series.bounds
    section = {
        "key": item.series.key,
        "name": describe_series(item.series),
        "unit": item.series.unit,
        "bounds": [lower, upper],
        "history": points(item.history),
        "forecast": [],
        "model": item.model,
        "method": item.method,
        "baseline": item.method.startswith(BASELINE) and " averaged " not in item.method,
        "skill": item.skill,
        "threshold": finite(item.threshold),
        "crossing": None,
        "chance": None,
        "horizons": [],
        "horizon_end": None,
        "note": item.not_forecast_because,
    }
    if item.forecast is None:
        return section
    frame = item.forecast.clip(
        lower=-np.inf if lower is None else lower, upper=np.inf if upper is None else upper
    )  # the forecaster clips already; a report must not print 100.1 % even if it one day did not
    section["forecast"] = [
        {"ts": iso(ts), **{k: finite(v) for k, v in row.items()}}
        for ts, row in zip(frame.index, frame.to_dict("records"), strict=True)
    ]
    section["horizon_end"] = iso(frame.index[-1] + item.step)
    section["crossing"] = _crossing(item.crossing, origin)
    section["chance"] = chance_of_reaching(section, origin)
    section["horizons"] = _horizons(frame, horizons, item.step)
    return section


def _horizons(frame, horizons, step: dt.timedelta) -> list[dict]:
    rows = []
    for text, delta in horizons:
        position = int(round(delta / step)) - 1
        if 0 <= position < len(frame):
            rows.append(
                {
                    "horizon": text,
                    "ts": iso(frame.index[position]),  # the bucket: its mean is the value at this horizon
                    "until": iso(frame.index[position] + step),
                    **{k: finite(v) for k, v in frame.iloc[position].items()},
                }
            )
    return rows


def _days_after(origin: dt.datetime, when) -> float | None:
    if when is None:
        return None
    when = when.to_pydatetime() if hasattr(when, "to_pydatetime") else when
    return max(0.0, round((when - origin) / dt.timedelta(days=1), 2))


def _crossing(crossing, origin: dt.datetime) -> dict | None:
    """When the forecast mean reaches the limit, and the widest interval's edges."""
    if crossing is None or crossing.expected is None:
        return None
    return {
        "expected": iso(crossing.expected),
        "earliest": iso(crossing.earliest),
        "latest": iso(crossing.latest),
        "level": crossing.level,
        "days": _days_after(origin, crossing.expected),
        "days_low": _days_after(origin, crossing.earliest),
        "days_high": _days_after(origin, crossing.latest),
    }


def chance_of_reaching(section: dict, origin: dt.datetime) -> dict | None:
    """When the forecast mean stays below the limit but an interval's upper edge reaches it.

    The upper edge of a central `level` % interval is the forecast's
    (100 + level) / 2 percentile: where it reaches the limit, the chance of
    being at or past the limit then is (100 - level) / 2 %, and the chance of
    having reached it by then is at least that. The narrowest interval that
    reaches it gives the largest chance that can be stated.
    """
    limit, rows = section["threshold"], section["forecast"]
    if limit is None or not rows or section["crossing"]:
        return None
    levels = sorted(float(name[3:]) for name in rows[0] if name.startswith("hi-"))
    for level in levels:
        column = f"hi-{level:g}"
        first = next((r["ts"] for r in rows if r[column] is not None and r[column] >= limit), None)
        if first:
            return {
                "level": level,
                "percent": (100 - level) / 2,
                "at": first,
                "days": _days_after(origin, parse_iso(first)),
            }
    return None
