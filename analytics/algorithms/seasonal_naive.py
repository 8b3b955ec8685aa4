"""Seasonal-naive forecaster: the baseline every forecaster is compared with."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .intervals import (
    check_levels,
    conformal_quantiles,
    forecast_frame,
    future_index,
    horizon_scale,
    infer_step,
)
from .validation import check_series


class SeasonalNaive:
    """Forecast each point as the value one season earlier.

    ``y_hat[T + k] = y[T + k - m * ceil(k / m)]`` (Hyndman & Athanasopoulos,
    *Forecasting: Principles and Practice*, 3rd ed., section 5.2).

    Parameters
    ----------
    season_length : int
        Season in points (``24`` for a daily season of hourly data).

    Attributes
    ----------
    last_season_ : ndarray, shape (season_length,)
        The last observed season (NaN where the value was missing).
    errors_ : ndarray, shape (n_origins, season_length)
        In-sample seasonal-naive errors, used for the intervals.
    step_, last_ts_ : int
        Sampling step and last timestamp, in ns.
    """

    def __init__(self, season_length: int = 24):
        self.season_length = season_length

    def fit(self, y: pd.Series) -> SeasonalNaive:
        """Learn the last season and the in-sample error scale of ``y``; returns self."""
        ts, values = check_series(y)
        m = int(self.season_length)
        if m < 1 or values.size < m:
            raise ValueError(f"need at least season_length={m} points, got {values.size}")
        self.step_ = infer_step(ts)
        self.last_ts_ = int(ts[-1])
        self.last_season_ = values[-m:].copy()
        residuals = values[m:] - values[:-m]
        n_origins = residuals.size // m
        # Errors k steps ahead of a seasonal naive are the one-season differences.
        self.errors_ = residuals[residuals.size - n_origins * m :].reshape(n_origins, m)
        return self

    def predict(self, h: int, level: Sequence[float] | None = (80, 95)) -> pd.DataFrame:
        """Forecast ``h`` steps: frame with ``mean``, ``lo-<level>``, ``hi-<level>``.

        Interval width grows with ``sqrt`` of the number of seasons ahead.
        """
        levels = check_levels(level)
        m = self.season_length
        mean = np.resize(self.last_season_, h)
        seasons_ahead = np.arange(h) // m + 1
        scale = horizon_scale(self.errors_, m)[np.arange(h) % m] * np.sqrt(seasons_ahead)
        quantiles = conformal_quantiles(self.errors_, horizon_scale(self.errors_, m), levels)
        bounds = {lv: (mean + lo * scale, mean + hi * scale) for lv, (lo, hi) in quantiles.items()}
        return forecast_frame(future_index(self.last_ts_, self.step_, h), mean, bounds)
