"""Time-to-threshold: when a forecast, and the edges of its interval, cross a value."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class ThresholdCrossing:
    """When a forecast reaches a threshold; ``None`` means not within the horizon.

    Attributes
    ----------
    expected : pandas.Timestamp or None
        First forecast time at which ``mean`` reaches the threshold.
    earliest, latest : pandas.Timestamp or None
        The same for the interval edge that gets there first and last: for an
        upward threshold the ``hi`` edge (earliest) and the ``lo`` edge (latest).
    level : float or None
        The interval level the edges come from.
    """

    expected: pd.Timestamp | None
    earliest: pd.Timestamp | None
    latest: pd.Timestamp | None
    level: float | None


def first_crossing(column: pd.Series, threshold: float, upward: bool) -> pd.Timestamp | None:
    """First timestamp at which ``column`` is at or beyond ``threshold`` (NaN never crosses)."""
    values = column.to_numpy(dtype=np.float64)
    hit = values >= threshold if upward else values <= threshold
    where = np.flatnonzero(hit)
    return column.index[where[0]] if where.size else None


def time_to_threshold(
    forecast: pd.DataFrame, threshold: float, level: float | None = None, upward: bool = True
) -> ThresholdCrossing:
    """Say when a forecast frame crosses ``threshold`` ("disk full in 3 days, 2 to 5").

    Parameters
    ----------
    forecast : pandas.DataFrame
        The forecast contract: ``mean``, ``lo-<level>``, ``hi-<level>`` on future timestamps.
    threshold : float
        Value in the series' units (e.g. the disk size).
    level : float or None
        Interval level for the edges; ``None`` takes the widest in the frame.
    upward : bool
        True when the threshold is reached from below (filling up), False from above.

    Returns
    -------
    ThresholdCrossing
    """
    levels = sorted(float(c[3:]) for c in forecast.columns if c.startswith("lo-"))
    if level is None and levels:
        level = levels[-1]
    expected = first_crossing(forecast["mean"], threshold, upward)
    if level is None:
        return ThresholdCrossing(expected, None, None, None)
    lo, hi = forecast[f"lo-{level:g}"], forecast[f"hi-{level:g}"]
    fast, slow = (hi, lo) if upward else (lo, hi)
    return ThresholdCrossing(
        expected, first_crossing(fast, threshold, upward), first_crossing(slow, threshold, upward), level
    )
