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

    def update(self, values: np.ndarray) -> np.ndarray:
        """True for each value beyond the range of the values before it (NaN: False); learns them.

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
            margin = self.tolerance * width
            new = (width > 0) & ((values > hi + margin) | (values < lo - margin))
        return new & known
