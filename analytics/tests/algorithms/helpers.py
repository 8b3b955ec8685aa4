"""Series builders shared by the algorithm tests: tiny hand-checkable ones and seeded synthetic ones."""

import numpy as np
import pandas as pd


def utc_index(n: int, freq: str = "5min", start: str = "2024-01-01") -> pd.DatetimeIndex:
    # Nanoseconds, as the detector's int64 timestamps are (pandas 3 defaults to µs).
    return pd.date_range(start, periods=n, freq=freq, tz="UTC").as_unit("ns")


def tiny_series() -> pd.Series:
    """Six points, one NaN, one gap of 20 minutes."""
    index = pd.DatetimeIndex(
        [
            "2024-01-01 00:00",
            "2024-01-01 00:10",
            "2024-01-01 00:20",
            "2024-01-01 00:30",
            "2024-01-01 00:50",
            "2024-01-01 01:00",
        ],
        tz="UTC",
    )
    return pd.Series([1.0, 2.0, np.nan, 4.0, 5.0, 9.0], index=index)


def seasonal_series(
    n: int = 24 * 7 * 4, season: int = 24, noise: float = 0.3, seed: int = 0, freq: str = "1h"
) -> pd.Series:
    """Daily sine plus a slow trend and Gaussian noise, hourly."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    values = 10 + 0.002 * t + 3 * np.sin(2 * np.pi * t / season) + noise * rng.normal(size=n)
    return pd.Series(values, index=utc_index(n, freq))


def series_with_anomalies(n: int = 3000, seed: int = 1) -> tuple[pd.Series, list[int]]:
    """A noisy daily pattern (5-minute points) with a spike, a dip and a level shift at known positions."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    values = 50 + 10 * np.sin(2 * np.pi * t / 288) + rng.normal(size=n)
    positions = [1500, 2000, 2500]
    values[1500] += 25
    values[2000] -= 25
    values[2500:] += 20
    return pd.Series(values, index=utc_index(n, "5min")), positions


LEAK_START_DAY, LEAK_DAYS, LEAK_POINTS = 10, 4, 30.0  # the demo's web-2 memory: 30 points in days 10-14


def leaking_memory_percent(hours: np.ndarray) -> np.ndarray:
    """Noiseless memory use in % at ``hours`` after the start: a daily cycle, then a linear leak.

    As the demo's web-2 memory: from day 10 the leak adds 7.5 points a day.
    """
    load = 0.5 - 0.5 * np.cos(2 * np.pi * (hours / 24 - 0.125))
    leak = np.maximum(0, hours - LEAK_START_DAY * 24) * LEAK_POINTS / (LEAK_DAYS * 24)
    return 52 + 6 * load + leak


def hours_until(values_at, start_hour: float, threshold: float, step_hours: float = 1.0) -> float:
    """Hours after ``start_hour`` until ``values_at(hours)`` first reaches ``threshold`` (within 30 days)."""
    ahead = np.arange(1, int(30 * 24 / step_hours) + 1) * step_hours
    return float(ahead[np.flatnonzero(values_at(start_hour + ahead) >= threshold)[0]])
