"""Forecast-residual scorer: how far outside its prediction interval a point falls."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .calibration import TailCalibrator
from .features import forward_fill
from .scorer_base import WindowScorerMixin

BAND_SCORE = 0.5


class ResidualScorer(WindowScorerMixin):
    """Score each point by its one-step forecast residual in units of the usual residual.

    The one-step forecast is the median of the previous ``window`` values (a
    robust local level that a single spike cannot drag). The residual's scale
    is the training MAD of residuals (x 1.4826, Hampel 1974), the raw surprise
    ``|x - forecast| / scale`` is calibrated by the shared TailCalibrator, and
    the prediction band is the forecast +/- the surprise whose score is 0.5:
    a point outside it scores above 0.5.

    Parameters
    ----------
    window : int
        Previous values whose median is the forecast.

    Attributes
    ----------
    scale_ : float
        Robust scale of the training residuals.
    half_width_ : float
        Half width of the band in the series' units.
    calibrator_ : TailCalibrator
    """

    def __init__(self, window: int = 5):
        self.window = window

    @property
    def context_size(self) -> int:
        return self.window

    def expected_values(self, values: np.ndarray, n_new: int) -> np.ndarray:
        """Forecast (median of the previous ``window`` values) of the last ``n_new`` points."""
        x = forward_fill(values)
        if x.size <= self.window:
            return np.full(n_new, np.nan) if x.size == 0 else np.full(n_new, np.median(x))
        medians = np.median(sliding_window_view(x[:-1], self.window), axis=1)
        medians = np.concatenate([np.full(self.window, medians[0]), medians])
        return medians[medians.size - n_new :]

    def fit_values(self, values: np.ndarray) -> ResidualScorer:
        """Fit on a 1-d float array of training values; returns self."""
        n_rows = max(1, values.size - self.window)
        residual = values[values.size - n_rows :] - self.expected_values(values, n_rows)
        residual = residual[np.isfinite(residual)]
        mad = 1.4826 * float(np.median(np.abs(residual - np.median(residual)))) if residual.size else 0.0
        spread = float(np.std(residual)) if residual.size else 0.0
        # A flat series has MAD 0; fall back on the std, then on the level, so one
        # change in a constant series is surprising but finite.
        self.scale_ = mad or spread or max(1e-9, 1e-6 * float(np.nanmax(np.abs(values), initial=1.0)))
        self.calibrator_ = TailCalibrator().fit(np.abs(residual) / self.scale_)
        self.half_width_ = self.calibrator_.inverse(BAND_SCORE) * self.scale_
        return self

    def raw_values(self, values: np.ndarray, n_new: int) -> np.ndarray:
        """Absolute residual in units of ``scale_`` for the last ``n_new`` points."""
        return np.abs(values[values.size - n_new :] - self.expected_values(values, n_new)) / self.scale_

    def score_values(self, values: np.ndarray, n_new: int) -> np.ndarray:
        """Calibrated scores in [0, 1] of the last ``n_new`` points, shape (n_new,)."""
        return self.calibrator_.score(self.raw_values(values, n_new))
