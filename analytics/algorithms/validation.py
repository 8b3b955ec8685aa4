"""Input checks shared by every public algorithm: pandas at the edges, numpy inside."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from core.durations import parse_duration

NS_PER_SECOND = 1_000_000_000


def check_series(y: pd.Series, name: str = "y") -> tuple[np.ndarray, np.ndarray]:
    """Return the timestamps (int64 ns since the epoch, UTC) and float64 values of ``y``.

    Parameters
    ----------
    y : pandas.Series
        Values indexed by a tz-aware UTC ``DatetimeIndex``, strictly increasing.
        NaN values are allowed and are passed through (a missing value is unknown).
    name : str
        Name used in error messages.

    Returns
    -------
    ts : ndarray of int64, shape (n,)
        Nanoseconds since 1970-01-01 UTC.
    values : ndarray of float64, shape (n,)
        A copy of the values, so the caller's data is never modified.

    Raises
    ------
    TypeError
        If ``y`` is not a Series on a tz-aware DatetimeIndex.
    ValueError
        If the index is not UTC or not strictly increasing.
    """
    if not isinstance(y, pd.Series):
        raise TypeError(f"{name} must be a pandas Series, got {type(y).__name__}")
    index = y.index
    if not isinstance(index, pd.DatetimeIndex) or index.tz is None:
        raise TypeError(f"{name} must have a tz-aware DatetimeIndex")
    if str(index.tz) not in ("UTC", "utc", "UTC+00:00"):
        raise ValueError(f"{name} must be indexed in UTC, got {index.tz}")
    ts = index.as_unit("ns").asi8.copy()
    values = pd.to_numeric(y, errors="raise").to_numpy(dtype=np.float64, copy=True)
    check_arrays(ts, values, name)
    return ts, values


def check_arrays(ts: np.ndarray, values: np.ndarray, name: str = "values") -> tuple[np.ndarray, np.ndarray]:
    """Check a raw (timestamps, values) pair as used by the streaming APIs.

    Parameters
    ----------
    ts : array-like of int64 (ns since the epoch) or datetime64, shape (n,)
    values : array-like of float, shape (n,)

    Returns
    -------
    ts : ndarray of int64, shape (n,)
    values : ndarray of float64, shape (n,)
    """
    ts = np.asarray(ts)
    if np.issubdtype(ts.dtype, np.datetime64):
        ts = ts.astype("datetime64[ns]").astype(np.int64)
    ts = ts.astype(np.int64, copy=False)
    values = np.asarray(values, dtype=np.float64)
    if ts.ndim != 1 or values.shape != ts.shape:
        raise ValueError(f"{name}: timestamps and values must be 1-d arrays of the same length")
    if ts.size > 1 and np.any(np.diff(ts) <= 0):
        raise ValueError(f"{name}: timestamps must be strictly increasing")
    return ts, values


def to_series(ts: np.ndarray, values: np.ndarray, name: str | None = None) -> pd.Series:
    """Wrap int64-ns timestamps and values back into a UTC-indexed Series."""
    index = pd.DatetimeIndex(pd.to_datetime(ts, unit="ns", utc=True), name="ts")
    return pd.Series(values, index=index, name=name)


def window_to_ns(window: int | str | dt.timedelta | pd.Timedelta) -> tuple[str, int]:
    """Parse a rolling window: ``("count", n)`` for an int, ``("time", ns)`` for a duration.

    A duration is a timedelta or a string in tsmon's one grammar (``"90s"``,
    ``"5m"``, ``"1h"``, ``"7d"``, or plain seconds: ``"300"`` is five minutes,
    where pandas would read 300 nanoseconds), see :mod:`core.durations`.

    Raises
    ------
    ValueError
        If the window is not a positive count or a positive duration.
    """
    if isinstance(window, (int, np.integer)) and not isinstance(window, bool):
        if window < 1:
            raise ValueError(f"a count window must be >= 1, got {window}")
        return "count", int(window)
    if isinstance(window, str):
        window = parse_duration(window, "window")
    if not isinstance(window, (dt.timedelta, np.timedelta64)):
        raise ValueError(f"window must be an int count or a duration such as '1h', got {window!r}")
    span = pd.Timedelta(window)
    if span <= pd.Timedelta(0):
        raise ValueError(f"a time window must be positive, got {window!r}")
    return "time", int(span.value)
