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


DAY_NS = 86_400 * 10**9


def calendar_period(step_ns: float | None, n_points: int, max_period: int, min_cycles: int = 3) -> int:
    """The daily period in points for sampling step ``step_ns``, or 0 when the data does not span it.

    A day is a period of most operational metrics whether or not the
    autocorrelation shows it: a short job at night with a few minutes of
    timing jitter barely correlates with itself a day later (the regression
    forecaster likewise takes its periods from the timestamps). The period is
    used only when ``n_points`` holds ``min_cycles`` days and it is at most
    ``max_period`` points.

    Parameters
    ----------
    step_ns : float or None
        Typical (median) time between points, in nanoseconds; None or <= 0: unknown.
    n_points : int
        Length of the training data.
    max_period : int
        Longest period in points.
    min_cycles : int
        Whole days the data must hold.

    Returns
    -------
    int
    """
    if not step_ns or step_ns <= 0 or not np.isfinite(step_ns):
        return 0
    period = int(round(DAY_NS / step_ns))
    if period < 3 or period > max_period or n_points < min_cycles * period:
        return 0
    return period


class SeasonalContextScorer(WindowScorerMixin):
    """Score each point by how far its recent window departs from the same phase of earlier cycles.

    At fit the period is detected from the training values
    (:func:`detect_period`), or else, when the sampling step is given and the
    data spans three days, it is the day (:func:`calendar_period`). A point's
    seasonal band is the range of the values within ``jitter * period`` points
    of its phase on each of the ``n_cycles`` earlier cycles, the median over
    cycles of their minima and of their maxima: a robust seasonal-naive
    forecast (Hyndman & Athanasopoulos 2021, section 5.2) widened so that a
    recurring event that comes a few minutes early or late (a nightly job)
    is expected. With ``jitter=0`` the band is the median of the same phase.
    The residual is the distance outside the band in units of the training
    residuals' MAD (x 1.4826, Hampel 1974; their standard deviation when most
    lie inside the band). The raw surprise is the mean absolute residual
    over the last ``window`` points, so a change of shape or of variance (a
    day that stays flat, a peak that does not come) counts, not only a
    single spike. The shared
    :class:`~analytics.algorithms.calibration.TailCalibrator` calibrates it
    against the training windows. Without a period the scorer scores 0.

    Parameters
    ----------
    max_period : int
        Longest period (in points) looked for; the context a point needs is
        ``n_cycles * max_period + window + jitter * max_period`` values.
    n_cycles : int
        Earlier cycles whose median band is the reference.
    window : int
        Points whose mean absolute residual is the surprise.
    min_autocorrelation : float
        Autocorrelation a period must reach to be used.
    jitter : float
        Timing tolerance as a fraction of the period (1/24: an hour of a day).
    daily : bool
        Fall back on the day as the period when the autocorrelation finds none.
        Off by default: on NAB dev it made the scorer fire on series whose
        days do not repeat (standard 72.85 -> 71.4 with the day, 73.6 without).
    daily_gate : bool
        Let :meth:`expected_mask` also accept a value inside the band of the
        day, even where ``daily`` is off, and whatever period the
        autocorrelation found. The mask only ever lowers a score (the
        detector's seasonal gate), so a day that does not repeat costs
        nothing, while a daily job a few minutes early or late, too irregular
        for the autocorrelation, is recognised, also on a series with a
        shorter cycle of its own (NAB dev ec2_cpu_utilization_53ea38: a
        30-minute period and a job near 03:30 every night).
    gate_tolerance : float
        Widening of the band, as a fraction of its width, that
        :meth:`expected_mask` still counts as inside: a scheduled job does not
        reach the same height every day, and a tight band with two cycles
        turns each slightly taller run into an alarm. NAB dev standard: 73.61
        without the day, 73.73 with it (tolerance 0), 76.13 with the day
        beside a found period and tolerance 0.2 (0.25: 75.82, 0.3: 75.03;
        0.1: 72.71, where one job's alarm hides the next labelled anomaly
        behind its refractory period).

    Attributes
    ----------
    period_ : int
        Period in points (0: not seasonal).
    jitter_points_ : int
        Timing tolerance in points.
    gate_periods_ : list of int
        Periods whose bands :meth:`expected_mask` accepts: ``period_`` if
        any, and with ``daily_gate`` the day when the data spans three.
    scale_ : float
        Robust scale of the training seasonal residuals.
    calibrator_ : TailCalibrator
    """

    # The streaming detector passes the median sampling step to fit_values.
    fit_uses_step = True

    def __init__(
        self,
        max_period: int = 500,
        n_cycles: int = 2,
        window: int = 12,
        min_autocorrelation: float = 0.5,
        jitter: float = 1 / 24,
        daily: bool = False,
        daily_gate: bool = True,
        gate_tolerance: float = 0.2,
    ):
        self.max_period = max_period
        self.n_cycles = n_cycles
        self.window = window
        self.min_autocorrelation = min_autocorrelation
        self.jitter = jitter
        self.daily = daily
        self.daily_gate = daily_gate
        self.gate_tolerance = gate_tolerance

    @property
    def context_size(self) -> int:
        return self.n_cycles * self.max_period + self.window + int(self.jitter * self.max_period)

    def fit_values(self, values: np.ndarray, step_ns: float | None = None) -> SeasonalContextScorer:
        """Fit on a 1-d float array of training values (``step_ns``: sampling step); returns self."""
        self.period_ = detect_period(values, self.max_period, self.n_cycles + 1, self.min_autocorrelation)
        if not self.period_ and self.daily:
            self.period_ = calendar_period(step_ns, values.size, self.max_period, self.n_cycles + 1)
        self.jitter_points_ = int(round(self.jitter * self.period_))
        day = (
            calendar_period(step_ns, values.size, self.max_period, self.n_cycles + 1)
            if self.daily_gate
            else 0
        )
        self.gate_periods_ = sorted({self.period_, day} - {0})
        self.scale_ = 1.0
        self.calibrator_ = TailCalibrator().fit(np.zeros(1))
        if not self.period_:
            return self
        n_rows = max(1, values.size - self.n_cycles * self.period_ - self.jitter_points_)
        residual = self._residuals(values, n_rows)
        finite = residual[np.isfinite(residual)]
        mad = 1.4826 * float(np.median(np.abs(finite - np.median(finite)))) if finite.size else 0.0
        self.scale_ = mad or float(np.std(finite)) if finite.size else 1.0
        self.scale_ = self.scale_ or 1.0
        self.calibrator_ = TailCalibrator().fit(self._window_means(residual / self.scale_))
        return self

    def _residuals(
        self, values: np.ndarray, n_new: int, period: int | None = None, tolerance: float = 0.0
    ) -> np.ndarray:
        """Distance outside the seasonal band of the last ``n_new`` points (NaN: no band yet).

        ``period`` defaults to ``period_``; ``tolerance`` widens the band on
        both sides by that fraction of its width.
        """
        x = forward_fill(values)
        period = self.period_ if period is None else period
        jitter = int(round(self.jitter * period))
        # Points with fewer than n_cycles earlier cycles get NaN (scored 0).
        need = n_new + self.n_cycles * period + jitter
        padded = np.concatenate([np.full(max(0, need - x.size), np.nan), x])
        end = padded.size
        lows, highs = [], []
        for k in range(1, self.n_cycles + 1):
            # Phase +/- jitter of cycle k: never reaches the point itself (jitter < period).
            phase = sliding_window_view(
                padded[end - n_new - k * period - jitter : end - k * period + jitter], 2 * jitter + 1
            )
            lows.append(phase.min(axis=1))
            highs.append(phase.max(axis=1))
        low, high = np.median(np.vstack(lows), axis=0), np.median(np.vstack(highs), axis=0)
        if tolerance:
            margin = tolerance * (high - low)
            low, high = low - margin, high + margin
        current = padded[end - n_new :]
        outside = np.where(current > high, current - high, np.where(current < low, current - low, 0.0))
        return np.where(np.isnan(low) | np.isnan(high), np.nan, outside)

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

    def expected_mask(self, values: np.ndarray, n_new: int) -> np.ndarray:
        """True for each of the last ``n_new`` points that lies inside its seasonal band, shape (n_new,).

        Such a value was seen at this phase (give or take the jitter and
        ``gate_tolerance``) on the earlier cycles of one of ``gate_periods_``,
        so it is ordinary in its seasonal context however it compares with
        the last few points. False without a period.
        """
        # Scorers fitted before daily_gate existed have only their own period.
        periods = getattr(self, "gate_periods_", [self.period_] if self.period_ else [])
        tolerance = getattr(self, "gate_tolerance", 0.0)
        mask = np.zeros(n_new, bool)
        for period in periods:
            mask |= self._residuals(values, n_new, period, tolerance) == 0.0
        return mask
