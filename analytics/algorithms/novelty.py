"""New range: a value well outside everything the series has shown so far.

The window scorers learn from the last ``train_size`` points and forget what
came before, so a slow slide to a level never seen (a machine cooling over a
day before it fails, a sensor drifting out of its range) becomes ordinary to
them while it happens. The simplest memory that does not forget is the range
of all values seen. Numenta's HTM detector for NAB flags a value as a spatial
anomaly when it lies beyond the range seen so far by more than 5 % of that
range (``SPATIAL_TOLERANCE`` in NAB's ``numenta_detector.py``; Ahmad, Lavin,
Purdy & Agha 2017, "Unsupervised real-time anomaly detection for streaming
data", section 4). The tolerance relative to the range makes it a rule of
practical size: a steady fill or an uptime counter extends its range by one
small step at a time and never gets 5 % beyond it, while a fall to zero of
a series that never left 40-60 does at once.

The margin also has a floor in units of the series' noise (``min_margin``,
the detector passes twice the robust scale of its one-step residuals): the
range of pure noise keeps growing by new records (about log n of them), and
a slowly drifting series with little noise has a range so narrow that 5 % of
it is less than its noise. On the demo data (1-minute points) the rule alone
raised 21 noise events on the disk series (a 2-point drift in 14 days,
noise 0.05); with the floor none, and the web-4 outage is still found. On
NAB dev the floor costs realTraffic's gain (speeds beyond their range by
1-2 noise scales: 74.0 -> 60.9) and keeps realAdExchange's (72.2 -> 78.4).
"""

from __future__ import annotations

import numpy as np


class NewRange:
    """Flag values beyond the range of all earlier values by more than ``tolerance`` of it.

    Parameters
    ----------
    tolerance : float
        Margin beyond the range, as a fraction of its width, that a value must
        pass to be new. A series that has shown one value only (width 0) has
        no new values: its scale is unknown.

    Attributes
    ----------
    lo_, hi_ : float
        Least and greatest value fed so far (``inf`` / ``-inf`` before any).
    """

    def __init__(self, tolerance: float = 0.05):
        self.tolerance = tolerance
        self.lo_ = np.inf
        self.hi_ = -np.inf

    @classmethod
    def from_values(cls, values: np.ndarray, tolerance: float = 0.05) -> NewRange:
        """A memory that has seen ``values`` (NaN ignored)."""
        memory = cls(tolerance)
        memory.update(np.asarray(values, dtype=np.float64))
        return memory

    def update(self, values: np.ndarray, min_margin: float = 0.0) -> np.ndarray:
        """True for each value beyond the range of the values before it (NaN: False); learns them.

        A value must pass the range by ``tolerance`` of its width and by at
        least ``min_margin`` (series units).

        Each value is judged against the range of all earlier values, fed in
        this call or before, so the result does not depend on how values are
        split into calls (running minima and maxima are exact).
        """
        values = np.asarray(values, dtype=np.float64)
        if values.size == 0:
            return np.zeros(0, bool)
        known = ~np.isnan(values)
        highs = np.maximum.accumulate(np.concatenate([[self.hi_], np.where(known, values, -np.inf)]))
        lows = np.minimum.accumulate(np.concatenate([[self.lo_], np.where(known, values, np.inf)]))
        hi, lo = highs[:-1], lows[:-1]  # the range before each value
        self.hi_, self.lo_ = float(highs[-1]), float(lows[-1])
        with np.errstate(invalid="ignore"):
            width = hi - lo  # -inf before any value: never new
            margin = np.maximum(self.tolerance * width, min_margin)
            new = (width > 0) & ((values > hi + margin) | (values < lo - margin))
        return new & known
