"""Seasonal-context scorer: how unlike the same phase of previous cycles the recent window is."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .calibration import TailCalibrator
from .features import forward_fill
from .scorer_base import WindowScorerMixin


def detect_period(
    values: np.ndarray, max_period: int, min_cycles: int = 3, min_autocorrelation: float = 0.5
) -> int:
    """The dominant period of ``values`` (in points), or 0 when the series is not seasonal.

    The period is the lag of the highest local maximum of the sample
    autocorrelation among lags ``2 .. min(max_period, n // min_cycles)`` that
    comes after the autocorrelation has fallen below zero (a return to
    correlation, not the slow decay of a smooth or trending series); it counts
    only if that autocorrelation reaches ``min_autocorrelation``.
    The autocorrelation is computed with the FFT (Box & Jenkins, "Time Series
    Analysis", ch. 2; Hyndman & Athanasopoulos, "Forecasting: Principles and
    Practice", 3rd ed., section 2.8). NaN values are forward-filled first.

    Parameters
    ----------
    values : ndarray, shape (n,)
    max_period : int
        Longest period considered.
    min_cycles : int
        Whole cycles the data must hold for a period to be considered.
    min_autocorrelation : float
        Autocorrelation the period's lag must reach.

    Returns
    -------
    int
    """
    x = forward_fill(values)
    longest = min(max_period, x.size // min_cycles)
    if longest < 3 or not np.isfinite(x).all():
        return 0
    x = x - x.mean()
    power = float(x @ x)
    if power <= 0:
        return 0
    size = 1 << int(2 * x.size - 1).bit_length()
    spectrum = np.fft.rfft(x, size)
    acf = np.fft.irfft(spectrum * np.conj(spectrum), size)[: longest + 2] / power
    below_zero = np.flatnonzero(acf[: longest + 1] < 0)
    if below_zero.size == 0:
        return 0
    lags = np.arange(max(2, int(below_zero[0]) + 1), longest + 1)
    if lags.size == 0:
        return 0
    peaks = lags[(acf[lags] >= acf[lags - 1]) & (acf[lags] > acf[lags + 1])]
    if peaks.size == 0:
        return 0
    best = int(peaks[np.argmax(acf[peaks])])
    return best if acf[best] >= min_autocorrelation else 0


class SeasonalContextScorer(WindowScorerMixin):
    """Score each point by how far its recent window departs from the same phase of earlier cycles.

    At fit the period is detected from the training values
    (:func:`detect_period`). A point's seasonal reference is the median of the
    values one, two, ... ``n_cycles`` periods earlier (a robust seasonal-naive
    forecast, Hyndman & Athanasopoulos 2021, section 5.2); its residual is the
    difference from that reference in units of the training residuals' MAD
    (x 1.4826, Hampel 1974). The raw surprise is the mean absolute residual
    over the last ``window`` points, so a change of shape or of variance (a
    day that stays flat, a peak that does not come) counts, not only a
    single spike. The shared
    :class:`~analytics.algorithms.calibration.TailCalibrator` calibrates it
    against the training windows. Without a period the scorer scores 0.

    Parameters
    ----------
    max_period : int
        Longest period (in points) looked for; the context a point needs is
        ``n_cycles * max_period + window`` values.
    n_cycles : int
        Earlier cycles whose median is the reference.
    window : int
        Points whose mean absolute residual is the surprise.
    min_autocorrelation : float
        Autocorrelation a period must reach to be used.

    Attributes
    ----------
    period_ : int
        Detected period in points (0: not seasonal).
    scale_ : float
        Robust scale of the training seasonal residuals.
    calibrator_ : TailCalibrator
    """

    def __init__(
        self, max_period: int = 500, n_cycles: int = 2, window: int = 12, min_autocorrelation: float = 0.5
    ):
        self.max_period = max_period
        self.n_cycles = n_cycles
        self.window = window
        self.min_autocorrelation = min_autocorrelation

    @property
    def context_size(self) -> int:
        return self.n_cycles * self.max_period + self.window

    def fit_values(self, values: np.ndarray) -> SeasonalContextScorer:
        """Fit on a 1-d float array of training values; returns self."""
        self.period_ = detect_period(values, self.max_period, self.n_cycles + 1, self.min_autocorrelation)
        self.scale_ = 1.0
        self.calibrator_ = TailCalibrator().fit(np.zeros(1))
        if not self.period_:
            return self
        n_rows = max(1, values.size - self.n_cycles * self.period_)
        residual = self._residuals(values, n_rows)
        finite = residual[np.isfinite(residual)]
        mad = 1.4826 * float(np.median(np.abs(finite - np.median(finite)))) if finite.size else 0.0
        self.scale_ = mad or float(np.std(finite)) if finite.size else 1.0
        self.scale_ = self.scale_ or 1.0
        self.calibrator_ = TailCalibrator().fit(self._window_means(residual / self.scale_))
        return self

    def _residuals(self, values: np.ndarray, n_new: int) -> np.ndarray:
        """Value minus the median of the same phase in earlier cycles, last ``n_new`` points."""
        x = forward_fill(values)
        lag = self.n_cycles * self.period_
        # Points with fewer than n_cycles earlier cycles get NaN (scored 0).
        padded = np.concatenate([np.full(max(0, n_new + lag - x.size), np.nan), x])
        end = padded.size
        lagged = [
            padded[end - n_new - k * self.period_ : end - k * self.period_]
            for k in range(1, self.n_cycles + 1)
        ]
        return padded[end - n_new :] - np.median(np.vstack(lagged), axis=0)

    def _window_means(self, scaled: np.ndarray) -> np.ndarray:
        magnitude = np.abs(np.nan_to_num(scaled))
        if magnitude.size < self.window:
            return magnitude
        means = sliding_window_view(magnitude, self.window).mean(axis=1)
        return np.concatenate([magnitude[: self.window - 1], means])

    def raw_values(self, values: np.ndarray, n_new: int) -> np.ndarray:
        """Mean absolute scaled seasonal residual over the last ``window`` points, shape (n_new,)."""
        if not self.period_:
            return np.zeros(n_new)
        n_rows = min(values.size, n_new + self.window - 1)
        scaled = self._residuals(values, n_rows) / self.scale_
        return self._window_means(scaled)[n_rows - n_new :]

    def score_values(self, values: np.ndarray, n_new: int) -> np.ndarray:
        """Calibrated scores in [0, 1] of the last ``n_new`` points, shape (n_new,)."""
        return self.calibrator_.score(self.raw_values(values, n_new))
