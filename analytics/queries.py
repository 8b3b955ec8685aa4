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


def rolling_statistics(
    series_id: int, start: dt.datetime, end: dt.datetime, window: int | str
) -> pd.DataFrame:
    """Rolling mean, variance, std and causal z-score of one series in [start, end).

    Points before `start` fill the first windows, so the statistics at
    `start` are the same as in a longer query (and as the jobs compute).
    """
    kind, size = window_to_ns(window)
    lookback = pd.Timedelta(size, "ns").to_pytimedelta() if kind == "time" else _COUNT_WINDOW_LOOKBACK
    frame = read_series_frame(series_id, start - lookback, end)
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
