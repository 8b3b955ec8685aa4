"""Points aggregated per time bucket, in numpy.

What `date_bin(step, ts, origin)` with an aggregate per (series, bucket)
gives in SQL, for points read whole by binary COPY from the read function:
PostgreSQL would sort every point by a computed bucket to group them, the
larger part of a downsampled read; numpy sorts integers. Each bucket is
aggregated over its raw points, so a variance at any step is exact, not a
variance of means. Values are finite (the writer refuses others).
"""

from __future__ import annotations

import numpy as np

AGGREGATES = ("count", "last", "max", "mean", "min", "stddev", "sum", "variance")


def bucket_starts(ts_us: np.ndarray, origin_us: int, step_us: int) -> np.ndarray:
    """The start of each time's bucket, as `date_bin(step, ts, origin)`: buckets
    of `step_us` laid from `origin_us` both ways (a time before it floors too)."""
    return origin_us + (ts_us - origin_us) // step_us * step_us


def aggregate(
    series_ids: np.ndarray, ts_us: np.ndarray, values: np.ndarray, origin_us: int, step_us: int, agg: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(series id, bucket start µs, value) of each non-empty bucket, in
    (series, bucket) order. `agg` is one of AGGREGATES; `last` is the value
    at the latest time of the bucket; `stddev` and `variance` are of the
    sample (n - 1), NaN for a bucket of one point (SQL's NULL)."""
    if agg not in AGGREGATES:
        raise ValueError(f"{agg!r} is not one of {', '.join(AGGREGATES)}")
    buckets = bucket_starts(ts_us, origin_us, step_us)
    order = np.lexsort((ts_us, buckets, series_ids))
    sid, buckets, values = series_ids[order], buckets[order], values[order].astype(np.float64)
    if not len(sid):
        return sid, buckets, values
    first = np.flatnonzero(np.r_[True, (sid[1:] != sid[:-1]) | (buckets[1:] != buckets[:-1])])
    return sid[first], buckets[first], _per_bucket(values, first, agg)


def _per_bucket(values: np.ndarray, first: np.ndarray, agg: str) -> np.ndarray:
    counts = np.diff(np.r_[first, len(values)])
    if agg == "count":
        return counts.astype(np.float64)
    if agg == "last":
        return values[np.r_[first[1:], len(values)] - 1]
    if agg == "min":
        return np.minimum.reduceat(values, first)
    if agg == "max":
        return np.maximum.reduceat(values, first)
    sums = np.add.reduceat(values, first)
    if agg == "sum":
        return sums
    means = sums / counts
    if agg == "mean":
        return means
    deviations = values - np.repeat(means, counts)
    with np.errstate(divide="ignore", invalid="ignore"):
        variances = np.where(
            counts > 1, np.add.reduceat(deviations * deviations, first) / (counts - 1), np.nan
        )
    return variances if agg == "variance" else np.sqrt(variances)
