"""Which of several values of one (series, ts) counts: the first, by a rank.

One rule for the writer (a request's own repeats: the first in the request),
compaction (landing rows: the lowest batch; a chunk before any landing row)
and so for every read, which gives what compaction keeps.
"""

from __future__ import annotations

import numpy as np


def first_of_each(series_ids: np.ndarray, ts_us: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """Indices of one row per (series, ts), the one of lowest `rank` (the
    earliest row among equal ranks), in (series, ts) order."""
    order = np.lexsort((rank, ts_us, series_ids))  # stable: equal ranks stay in row order
    sid, ts = series_ids[order], ts_us[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (sid[1:] != sid[:-1]) | (ts[1:] != ts[:-1])
    return order[first]
