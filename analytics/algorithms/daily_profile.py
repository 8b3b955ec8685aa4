"""Daily profile: the range of values seen at this time of day on the last days, kept in time.

The window scorers learn from the last ``train_size`` points. At NAB's 5
minutes those span a week; at tsmon's own 1 minute they span 33 hours, and
on the first weekday after a weekend the models have seen only the lighter
weekend: a weekday's ordinary peak is a level, a noise and a slope they have
never seen (on the demo data, 65 noise events on the network series, all
that Monday between 10:00 and 15:00). The seasonal-context scorer knows the
day only when its raw buffer holds three days of points.

A profile of the day in time does not depend on the resolution: the least
and greatest value of every ``bin_seconds`` bin over the last
``history_seconds``, a few hundred numbers whatever the sampling step. A
point's band is, over each of the previous days, the range of the bins
within ``jitter_seconds`` of its time of day, and then the median over those
days of the lows and of the highs (a robust seasonal-naive band, as in the
seasonal-context scorer; Hyndman & Athanasopoulos 2021, "Forecasting:
Principles and Practice", section 5.2). The median over a week of days is a
weekday's band on a Monday (five weekdays of seven) and a past anomaly on one
day does not widen it. A value inside the band, widened by ``tolerance`` of
its width, was seen at this time of day on most recent days: it is ordinary
in its daily context (Chandola, Banerjee & Kumar 2009, "Anomaly detection: a
survey", section 2.2.2, contextual anomalies).

Every band uses only bins of earlier days, which are complete before the
point's day begins, and bins keep exact minima and maxima: the result does
not depend on how points are split into calls.
"""

from __future__ import annotations

import warnings

import numpy as np

NS = 1_000_000_000
DAY_SECONDS = 86_400


class DailyProfile:
    """Per-bin minima and maxima of the last days, and the band of the day they give each point.

    Parameters
    ----------
    history_seconds : float
        Time of the earlier days a band is taken from (a week: five weekdays
        and a weekend, so a weekday's median band is a weekday's).
    bin_seconds : float
        Width of the bins whose extremes are kept; divides a day.
    jitter_seconds : float
        Timing tolerance: the bins within this time of a point's time of day
        on an earlier day make that day's range (an hour, as the
        seasonal-context scorer's).
    min_days : int
        Earlier days with data a band needs; fewer: no band.
    tolerance : float
        Widening of the band on both sides, as a fraction of its width, still
        counted as inside (a daily peak does not reach the same height every
        day; 0.2 as the seasonal-context scorer's ``gate_tolerance``).

    Attributes
    ----------
    first_bin_ : int or None
        Index (time // bin) of the first bin held (None before any point).
    lo_, hi_ : ndarray
        Least and greatest value of each bin held (NaN: no value).
    """

    def __init__(
        self,
        history_seconds: float = 7 * DAY_SECONDS,
        bin_seconds: float = 600.0,
        jitter_seconds: float = 3600.0,
        min_days: int = 3,
        tolerance: float = 0.2,
    ):
        self.history_seconds = history_seconds
        self.bin_seconds = bin_seconds
        self.jitter_seconds = jitter_seconds
        self.min_days = min_days
        self.tolerance = tolerance
        self.first_bin_ = None
        self.lo_ = np.empty(0)
        self.hi_ = np.empty(0)

    @classmethod
    def from_values(cls, ts: np.ndarray, values: np.ndarray, **params) -> DailyProfile:
        """A profile that has seen ``values`` at ``ts`` (int64 ns)."""
        profile = cls(**params)
        profile.update(ts, values)
        return profile

    @property
    def bins_per_day(self) -> int:
        return int(round(DAY_SECONDS / self.bin_seconds))

    @property
    def n_days(self) -> int:
        return max(1, int(round(self.history_seconds / DAY_SECONDS)))

    @property
    def jitter_bins(self) -> int:
        return int(self.jitter_seconds // self.bin_seconds)

    def update(self, ts: np.ndarray, values: np.ndarray) -> np.ndarray:
        """True for each value inside its band of the day (NaN, or no band: False); learns them.

        Parameters
        ----------
        ts : ndarray of int64 (ns), shape (n,), increasing
        values : ndarray of float, shape (n,)
        """
        values = np.asarray(values, dtype=np.float64)
        if values.size == 0:
            return np.zeros(0, bool)
        bins = np.asarray(ts, np.int64) // int(self.bin_seconds * NS)
        self._forget_before(int(bins[0]) - self._reach())
        self._fold(bins, values)
        lo, hi = self._bands(bins)
        margin = self.tolerance * (hi - lo)
        with np.errstate(invalid="ignore"):
            inside = (values >= lo - margin) & (values <= hi + margin)
        self._forget_before(int(bins[-1]) - self._reach())
        return inside

    def _reach(self) -> int:
        """How many bins before a point's own its band can look back."""
        return self.n_days * self.bins_per_day + self.jitter_bins

    def _forget_before(self, first: int) -> None:
        if self.first_bin_ is None or first <= self.first_bin_:
            return
        drop = min(first - self.first_bin_, self.lo_.size)
        self.lo_, self.hi_ = self.lo_[drop:], self.hi_[drop:]
        self.first_bin_ += drop

    def _fold(self, bins: np.ndarray, values: np.ndarray) -> None:
        """Take the values into the extremes of their bins."""
        if self.first_bin_ is None:
            self.first_bin_ = int(bins[0])
        size = int(bins[-1]) - self.first_bin_ + 1
        if size > self.lo_.size:
            pad = np.full(size - self.lo_.size, np.nan)
            self.lo_, self.hi_ = np.concatenate([self.lo_, pad]), np.concatenate([self.hi_, pad])
        known = ~np.isnan(values)
        slots = bins[known] - self.first_bin_
        np.fmin.at(self.lo_, slots, values[known])
        np.fmax.at(self.hi_, slots, values[known])

    def _bands(self, bins: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The band of the day of each point's bin (NaN where fewer than ``min_days`` days have data)."""
        # One band per distinct bin: a call of one point reads 7 x 13 cells, not the whole week.
        unique, which = np.unique(bins, return_inverse=True)
        offsets = np.arange(-self.jitter_bins, self.jitter_bins + 1)
        days = np.arange(1, self.n_days + 1) * self.bins_per_day
        # slots[u, d, j]: the cell of bin u's time of day d days before, j bins off.
        slots = (unique - self.first_bin_)[:, None, None] - days[None, :, None] + offsets[None, None, :]
        held = (slots >= 0) & (slots < self.lo_.size)
        index = np.clip(slots, 0, max(0, self.lo_.size - 1))
        with warnings.catch_warnings():  # all-NaN slices (no data that day, no band) warn
            warnings.simplefilter("ignore", RuntimeWarning)
            lows = np.nanmin(np.where(held, self.lo_[index], np.nan), axis=2)
            highs = np.nanmax(np.where(held, self.hi_[index], np.nan), axis=2)
        enough = np.sum(~np.isnan(lows), axis=1) >= self.min_days
        lo, hi = _nan_median_rows(lows), _nan_median_rows(highs)
        lo, hi = lo[which], hi[which]
        enough = enough[which]
        return np.where(enough, lo, np.nan), np.where(enough, hi, np.nan)


def _nan_median_rows(x: np.ndarray) -> np.ndarray:
    """The median of each row's non-NaN values (NaN for a row of NaN), shape (rows,).

    np.nanmedian goes through masked arrays for small inputs and cost a
    one-point call 0.8 ms, more than the scorers.
    """
    ordered = np.sort(x, axis=1)  # NaN sort last
    count = np.sum(~np.isnan(x), axis=1)
    rows = np.arange(x.shape[0])
    low = ordered[rows, np.maximum(count - 1, 0) // 2]
    high = ordered[rows, count // 2 - (count == 0)]
    return np.where(count > 0, (low + high) / 2, np.nan)
