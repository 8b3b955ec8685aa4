"""Rolling mean, variance, standard deviation, z-score and EWMA, in batch and incremental form.

Windows are either a count of points (``60``) or a duration (``"1h"``, read by
:mod:`core.durations`, so ``"300"`` is five minutes, as in the API). A time
window at ``t`` holds the points with timestamps in ``(t - window, t]``, so it is
gap-aware: after a gap longer than the window it holds only the points since the
gap, and ``min_periods`` turns a window with too few points into NaN. A count
window holds the last ``window`` positions, NaN positions included, as pandas does.

NaN in means NaN out: a NaN value gets NaN statistics and is left out of every
other point's window (it is unknown, not zero).

The sums run in pandas' compiled rolling kernels (Kahan-compensated sums and
Welford's online variance), so a series with a large level and a small spread
keeps its precision (Welford 1962; Chan, Golub & LeVeque 1983).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .validation import check_arrays, check_series, to_series, window_to_ns

LN2 = float(np.log(2.0))


def _frame(ts: np.ndarray, values: np.ndarray) -> pd.Series:
    return pd.Series(values, index=pd.DatetimeIndex(ts.view("datetime64[ns]")), copy=False)


def _roller(s: pd.Series, window: int | str, min_periods: int, closed: str):
    kind, size = window_to_ns(window)
    if kind == "count":
        # A count window excluding the current point is the previous `size` points.
        if closed == "left":
            return s.shift(1).rolling(size, min_periods=min_periods)
        return s.rolling(size, min_periods=min_periods)
    return s.rolling(pd.Timedelta(size, "ns"), min_periods=min_periods, closed=closed)


def rolling_arrays(
    ts: np.ndarray, values: np.ndarray, window: int | str, min_periods: int = 2, ddof: int = 1
) -> dict[str, np.ndarray]:
    """Compute the rolling statistics of raw arrays (the numpy core of this module).

    Parameters
    ----------
    ts : ndarray of int64, shape (n,)
        Strictly increasing timestamps in ns.
    values : ndarray of float64, shape (n,)
    window : int or str
        Count of points, or a duration: a timedelta, or text in tsmon's one
        grammar (:mod:`core.durations`): ``"1h"``, ``"300"`` (seconds).
    min_periods : int
        Fewest non-NaN points a window needs; fewer gives NaN.
    ddof : int
        Delta degrees of freedom of the variance.

    Returns
    -------
    dict of ndarray, each shape (n,)
        ``mean``, ``var``, ``std`` over the window ending at (and including) each
        point, and the causal ``zscore``: ``(x_t - mean) / std`` of the window
        that ends just *before* t, so x_t is compared with its past only. Where
        that window is constant the z-score is 0 if x_t equals it and +/-inf
        otherwise. Every statistic is NaN where the value is NaN.
    """
    s = _frame(ts, values)
    current = _roller(s, window, min_periods, "right")
    past = _roller(s, window, min_periods, "left")
    mean = current.mean().to_numpy(copy=True)
    var = current.var(ddof=ddof).to_numpy()
    past_mean = past.mean().to_numpy()
    past_std = past.std(ddof=ddof).to_numpy()
    missing = np.isnan(values)
    out = {"mean": mean, "var": np.maximum(var, 0.0), "std": np.sqrt(np.maximum(var, 0.0))}
    out["zscore"] = _zscore(values, past_mean, past_std)
    for key in out:
        out[key][missing] = np.nan
    return out


def _zscore(values: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    # Welford on a constant window can leave a std of ~1e-17 instead of 0;
    # treat anything below float resolution of the level as exactly constant.
    flat = std <= 1e-12 * np.maximum(1.0, np.abs(mean))
    diff = values - mean
    with np.errstate(divide="ignore", invalid="ignore"):
        z = diff / std
        z = np.where(flat, np.where(diff == 0, 0.0, np.sign(diff) * np.inf), z)
    return np.where(np.isnan(std), np.nan, z)


def _batch(y: pd.Series, window: int | str, min_periods: int, key: str, ddof: int = 1) -> pd.Series:
    ts, values = check_series(y)
    result = rolling_arrays(ts, values, window, min_periods, ddof)[key]
    return pd.Series(result, index=y.index, name=y.name)


def rolling_mean(y: pd.Series, window: int | str, min_periods: int = 1) -> pd.Series:
    """Return the mean of the window ending at each point (see :func:`rolling_arrays`)."""
    return _batch(y, window, min_periods, "mean")


def rolling_var(y: pd.Series, window: int | str, min_periods: int = 2, ddof: int = 1) -> pd.Series:
    """Return the sample variance (``ddof=1``) of the window ending at each point."""
    return _batch(y, window, min_periods, "var", ddof)


def rolling_std(y: pd.Series, window: int | str, min_periods: int = 2, ddof: int = 1) -> pd.Series:
    """Return the standard deviation of the window ending at each point."""
    return _batch(y, window, min_periods, "std", ddof)


def rolling_zscore(y: pd.Series, window: int | str, min_periods: int = 2) -> pd.Series:
    """Return the causal z-score: each point against the window that ends just before it.

    Parameters
    ----------
    y : pandas.Series
        UTC-indexed values; NaN stays NaN.
    window : int or str
        Previous ``window`` points, or the duration ``(t - window, t)``.
    min_periods : int
        Fewest non-NaN past points needed; fewer gives NaN.
    """
    return _batch(y, window, min_periods, "zscore")


def ewma_arrays(ts: np.ndarray, values: np.ndarray, halflife: int | str) -> np.ndarray:
    """Exponentially weighted moving average of raw arrays (``adjust=False`` recursion).

    ``m_t = m_prev + a_t (x_t - m_prev)`` with ``a_t = 1 - 2**(-dt / halflife)``
    where ``dt`` is the elapsed time (time half-life, gap-aware) or the number
    of non-NaN steps (count half-life). NaN values are skipped and get NaN.
    """
    kind, size = window_to_ns(halflife)
    s = _frame(ts, values)
    if kind == "count":
        out = s.ewm(halflife=size, adjust=False, ignore_na=True).mean()
    else:
        out = s.ewm(halflife=pd.Timedelta(size, "ns"), times=s.index, adjust=False).mean()
    out = out.to_numpy(dtype=np.float64, copy=True)
    out[np.isnan(values)] = np.nan
    return out


def ewma(y: pd.Series, halflife: int | str) -> pd.Series:
    """Return the EWMA of ``y`` with a count (``10``) or time (``"1h"``) half-life.

    See :func:`ewma_arrays`; the first non-NaN value starts the average.
    """
    ts, values = check_series(y)
    return pd.Series(ewma_arrays(ts, values, halflife), index=y.index, name=y.name)


class RollingState:
    """Incremental rolling statistics: feed new points, get the same numbers as the batch form.

    The state keeps only the tail of the data that a future window can still
    see (the last ``window`` points, or the points within ``window`` of the
    latest one) and the EWMA's last value, so it stays small and picklable.

    Parameters
    ----------
    window : int or str
        Count or duration window, as for :func:`rolling_arrays`.
    min_periods : int
        Fewest non-NaN points a window needs.
    halflife : int or str or None
        Half-life of the EWMA column; ``None`` leaves it out.

    Examples
    --------
    >>> state = RollingState(window="1h", halflife="10m")
    >>> first = state.update(ts[:100], values[:100])  # doctest: +SKIP
    >>> rest = state.update(ts[100:], values[100:])  # doctest: +SKIP
    """

    def __init__(self, window: int | str, min_periods: int = 2, halflife: int | str | None = None):
        self.window = window
        self.min_periods = min_periods
        self.halflife = halflife
        self.ts_ = np.empty(0, np.int64)
        self.values_ = np.empty(0, np.float64)
        self.ewma_last_: tuple[int, float] | None = None

    def update(self, ts: np.ndarray, values: np.ndarray) -> dict[str, np.ndarray]:
        """Add points (after the ones already seen) and return their statistics.

        Parameters
        ----------
        ts : ndarray of int64 (ns) or datetime64, shape (n_new,)
        values : ndarray of float, shape (n_new,)

        Returns
        -------
        dict of ndarray, each shape (n_new,)
            ``mean``, ``var``, ``std``, ``zscore`` and, with a half-life, ``ewma``.
        """
        ts, values = check_arrays(ts, values)
        if ts.size and self.ts_.size and ts[0] <= self.ts_[-1]:
            raise ValueError("new timestamps must come after the points already seen")
        all_ts = np.concatenate([self.ts_, ts])
        all_values = np.concatenate([self.values_, values])
        stats = rolling_arrays(all_ts, all_values, self.window, self.min_periods)
        out = {key: column[self.ts_.size :] for key, column in stats.items()}
        if self.halflife is not None:
            out["ewma"] = self._update_ewma(ts, values)
        if all_ts.size:
            self._keep_tail(all_ts, all_values)
        return out

    def _update_ewma(self, ts: np.ndarray, values: np.ndarray) -> np.ndarray:
        # Prepending the last average as a pseudo-point restarts the
        # adjust=False recursion exactly where the previous call stopped.
        n_prefix = 0 if self.ewma_last_ is None else 1
        if n_prefix:
            ts = np.concatenate([[self.ewma_last_[0]], ts])
            values = np.concatenate([[self.ewma_last_[1]], values])
        result = ewma_arrays(ts, values, self.halflife)
        known = np.flatnonzero(~np.isnan(result))
        if known.size:
            self.ewma_last_ = (int(ts[known[-1]]), float(result[known[-1]]))
        return result[n_prefix:]

    def _keep_tail(self, ts: np.ndarray, values: np.ndarray) -> None:
        kind, size = window_to_ns(self.window)
        if kind == "count":
            start = max(0, ts.size - size)
        else:
            start = int(np.searchsorted(ts, ts[-1] - size, side="right"))
        self.ts_, self.values_ = ts[start:].copy(), values[start:].copy()

    @staticmethod
    def to_series(ts: np.ndarray, column: np.ndarray) -> pd.Series:
        """Wrap one returned column in a UTC-indexed Series."""
        return to_series(ts, column)
