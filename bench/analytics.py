"""Throughput of the analytics core, each figure beside a numpy limit measured in the same run.

Run from the project's root: ``python bench/analytics.py`` (about a minute).
Prints points/s for rolling statistics, streaming detector scoring (chunked and
one point per call) and forecast fitting, the numpy limit and their ratio.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analytics.algorithms.detector import StreamingDetector  # noqa: E402
from analytics.algorithms.regression import RegressionForecaster  # noqa: E402
from analytics.algorithms.rolling import RollingState, rolling_arrays  # noqa: E402

STEP_NS = 10 * 1_000_000_000


def best_seconds(fn, repeat: int = 3) -> float:
    """Fastest of a few runs, so one noisy neighbour does not decide the figure."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def cumsum_rolling_mean(values: np.ndarray, window: int) -> np.ndarray:
    """The numpy limit: a rolling mean from one cumulative sum (no NaN, no time windows)."""
    sums = np.cumsum(np.concatenate([[0.0], values]))
    return (sums[window:] - sums[:-window]) / window


def report(name: str, n_points: int, seconds: float, limit_seconds: float) -> None:
    rate, limit = n_points / seconds, n_points / limit_seconds
    print(f"{name:<44} {rate:>14,.0f} pts/s   numpy limit {limit:>14,.0f} pts/s   ratio {rate / limit:8.4f}")


def series(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    ts = np.arange(n, dtype=np.int64) * STEP_NS + 1_700_000_000 * 1_000_000_000
    values = 50 + 10 * np.sin(np.arange(n) * 2 * np.pi / 8640) + rng.normal(size=n)
    return ts, values


def bench_rolling() -> None:
    ts, values = series(1_000_000)
    limit = best_seconds(lambda: cumsum_rolling_mean(values, 60))
    report(
        "rolling mean/var/std/z, count window 60",
        values.size,
        best_seconds(lambda: rolling_arrays(ts, values, 60)),
        limit,
    )
    report(
        "rolling mean/var/std/z, time window 10min",
        values.size,
        best_seconds(lambda: rolling_arrays(ts, values, "10m")),
        limit,
    )

    def incremental():
        state = RollingState("10m")
        for start in range(0, values.size, 10_000):
            state.update(ts[start : start + 10_000], values[start : start + 10_000])

    report("RollingState.update, 10,000-point chunks", values.size, best_seconds(incremental, 1), limit)


def bench_detector() -> None:
    ts, values = series(202_000)
    warm = StreamingDetector(retrain_every=10**9)
    warm.update(ts[:2000], values[:2000])
    new_ts, new_values = ts[2000:], values[2000:]
    limit = best_seconds(lambda: cumsum_rolling_mean(new_values, 60))

    def chunked(detector, chunk):
        for start in range(0, new_values.size, chunk):
            detector.update(new_ts[start : start + chunk], new_values[start : start + chunk])

    # Scoring only (no retraining inside the run): the cost of a new point.
    for chunk in (10_000, 60):
        detector = pickle_copy(warm)
        report(
            f"detector scoring, {chunk:,} points per update",
            new_values.size,
            best_seconds(lambda d=detector, c=chunk: chunked(d, c), 1),
            limit,
        )
    single = pickle_copy(warm)
    n_single = 5_000
    seconds = best_seconds(
        lambda: [single.update(new_ts[i : i + 1], new_values[i : i + 1]) for i in range(n_single)], 1
    )
    report("detector scoring, 1 point per update", n_single, seconds, limit * n_single / new_values.size)
    # With the default cadence, fits included: every 100 points at 5-minute
    # resolution (NAB's, the backtest), every 2 hours at 10 seconds (live).
    for label, step_ns in (("5 min", 300 * 10**9), ("10 s", STEP_NS)):
        spaced = ts[0] + np.arange(50_000, dtype=np.int64) * step_ns
        fresh = StreamingDetector()
        seconds = best_seconds(lambda d=fresh, t=spaced: d.update(t, values[:50_000]), 1)
        rate_limit = limit * 50_000 / new_values.size
        report(f"detector with retraining, points {label} apart", 50_000, seconds, rate_limit)
        print(f"{'':<44} {seconds / 50_000 * 1e6:>10.1f} µs a point, fits included")


def pickle_copy(detector: StreamingDetector) -> StreamingDetector:
    import pickle

    return pickle.loads(pickle.dumps(detector))


def bench_forecast() -> None:
    rng = np.random.default_rng(1)
    n = 24 * 7 * 5
    hourly = 20 + 5 * np.sin(np.arange(n) * 2 * np.pi / 24) + rng.normal(size=n)
    y = pd.Series(hourly, index=pd.date_range("2024-01-01", periods=n, freq="1h", tz="UTC"))
    design = rng.normal(size=(n, 45))
    limit = best_seconds(lambda: np.linalg.lstsq(design, hourly, rcond=None))
    seconds = best_seconds(lambda: RegressionForecaster().fit(y), 1)
    print(f"{'(forecast limit: one least-squares fit, n x 45)':<44}")
    report(f"RegressionForecaster.fit, {n} hourly points", n, seconds, limit)


if __name__ == "__main__":
    print(f"numpy {np.__version__}, pandas {pd.__version__}; best of a few runs, one core")
    bench_rolling()
    bench_detector()
    bench_forecast()
