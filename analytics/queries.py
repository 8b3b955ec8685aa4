"""Reads that compute: rolling statistics of a stored series.

The same algorithm code the jobs use (`analytics.algorithms.rolling`), over
points read through `ingestion.queries`.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from analytics.algorithms.rolling import rolling_arrays
from analytics.algorithms.validation import window_to_ns
from ingestion.queries import read_series_frame

# A count window needs this many points of history before `start`; read a
# generous span of time so that even sparse series have them.
_COUNT_WINDOW_LOOKBACK = dt.timedelta(days=2)


class TooManyPoints(ValueError):
    """The range holds more points than the caller allows."""

    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(f"more than {limit} points")


def rolling_statistics(
    series_id: int, start: dt.datetime, end: dt.datetime, window: int | str, max_points: int | None = None
) -> pd.DataFrame:
    """Rolling mean, variance, std and causal z-score of one series in [start, end).

    Points before `start` fill the first windows, so the statistics at
    `start` are the same as in a longer query (and as the jobs compute).
    Raises TooManyPoints if more than `max_points` (when given) are read,
    those of the lookback included: the reader's memory stays bounded.
    """
    kind, size = window_to_ns(window)
    lookback = pd.Timedelta(size, "ns").to_pytimedelta() if kind == "time" else _COUNT_WINDOW_LOOKBACK
    limit = None if max_points is None else max_points + 1
    frame = read_series_frame(series_id, start - lookback, end, limit=limit)
    if max_points is not None and len(frame) > max_points:
        raise TooManyPoints(max_points)
    ts = frame.index.as_unit("ns").asi8
    stats = rolling_arrays(ts, frame.to_numpy(dtype=np.float64), window)
    table = pd.DataFrame(
        {
            "value": frame.to_numpy(),
            "mean": stats["mean"],
            "std": stats["std"],
            "variance": stats["var"],
            "zscore": stats["zscore"],
        },
        index=frame.index,
    )
    return table[table.index >= start]
