"""A straight line plus a daily season, fitted by least squares on the recent history.

The simplest trend a forecast can extrapolate: a leak or a filling disk
grows by the same amount each day, so its future is the line through the
last days, with the daily cycle on top (Hyndman & Athanasopoulos,
*Forecasting: Principles and Practice*, 3rd ed., section 7.4, "Linear
trend" and "Fourier terms").
"""

from __future__ import annotations

import numpy as np

from .fourier import fourier_terms

# Pairs of Fourier terms for the daily season: two to four days of points
# carry a few harmonics' worth of shape; more would fit the noise.
LINE_FOURIER = 3


def line_design(rows: np.ndarray, n: int, period: int) -> np.ndarray:
    """Columns [1, t, Fourier terms] for grid ``rows``, t in periods before the last point ``n - 1``."""
    t = (rows - (n - 1)) / period
    seasonal = fourier_terms(rows.astype(np.float64), (period,), LINE_FOURIER)
    return np.column_stack([np.ones(rows.size), t, seasonal])


def fit_seasonal_line(grid: np.ndarray, period: int, window: int) -> np.ndarray:
    """Least-squares coefficients of the line and season on the last ``window`` known points.

    Ordinary least squares, not ridge: shrinking the slope would make every
    time-to-threshold late. NaN points are left out.
    """
    n = grid.size
    rows = np.arange(max(0, n - window), n)
    rows = rows[~np.isnan(grid[rows])]
    coef, *_ = np.linalg.lstsq(line_design(rows, n, period), grid[rows], rcond=None)
    return coef


def seasonal_line_forecast(coef: np.ndarray, n: int, period: int, h: int) -> np.ndarray:
    """The ``h`` values after a history of ``n`` points: the line and season continued."""
    return line_design(np.arange(n, n + h), n, period) @ coef
