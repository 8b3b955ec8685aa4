"""Feature vectors of recent behaviour for the window-based scorers (k-means, isolation forest)."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def forward_fill(values: np.ndarray) -> np.ndarray:
    """Replace NaN by the last known value (leading NaN by the first known), for features only."""
    values = np.asarray(values, dtype=np.float64)
    missing = np.isnan(values)
    if not missing.any() or missing.all():
        return values.copy()
    index = np.where(missing, 0, np.arange(values.size))
    np.maximum.accumulate(index, out=index)
    filled = values[index]
    first = np.flatnonzero(~missing)[0]
    filled[:first] = values[first]
    return filled


def context_size(window: int, smooth: int, diff: bool) -> int:
    """How many values before a point its feature vector needs."""
    return window + smooth - 2 + int(diff)


def window_features(
    values: np.ndarray, n_new: int, window: int = 6, smooth: int = 3, diff: bool = True
) -> np.ndarray:
    """Lagged windows of the smoothed (differenced) series, one row per new point.

    In the spirit of Netdata's ML detector: difference once, smooth with a
    trailing mean of ``smooth`` points, and stack the current smoothed value
    with its ``window - 1`` lags. Every row uses only its point and earlier ones.

    Parameters
    ----------
    values : ndarray, shape (n,)
        History followed by the new points; NaN forward-filled.
    n_new : int
        Rows wanted, for the last ``n_new`` points; the first rows lacking
        history repeat the earliest available one.

    Returns
    -------
    ndarray, shape (n_new, window)
    """
    x = forward_fill(values)
    d = np.diff(x) if diff else x
    if smooth > 1:
        d = sliding_window_view(d, smooth).mean(axis=1) if d.size >= smooth else d[:0]
    if d.size < window:
        return np.zeros((n_new, window))
    rows = sliding_window_view(d, window)[:, ::-1]
    if rows.shape[0] < n_new:
        rows = np.vstack([np.repeat(rows[:1], n_new - rows.shape[0], axis=0), rows])
    return rows[rows.shape[0] - n_new :]
