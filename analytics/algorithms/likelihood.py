"""Anomaly likelihood: is the recent mean score unusual for this series' own scores?

The detector's score says how unusual each point is against the last fit's
training data. Some series are unusual all the time in small ways (a noisy
sensor, bursty counts): their scores hover at 0.1-0.3 and a single moderate
score means little. Others are quiet, and a stretch of moderate scores (a
slow slide the window models half-absorb with each refit) is the only sign
of trouble. Numenta's anomaly likelihood (Ahmad, Lavin, Purdy & Agha 2017,
"Unsupervised real-time anomaly detection for streaming data", section 3.2)
judges each series by its own history of scores: the mean of the last
``window`` scores is compared with the distribution of such means over the
last ``history`` points, modelled as a normal law, and the likelihood is
``1 - Q(z)``, ``Q`` the normal tail. As tsmon's calibrated scores are, the
tail probability ``Q(z)`` is reported as ``log10(1 / Q) / decades`` in [0, 1].

The normal law's mean and standard deviation have floors (HTM's are 0.03
and 0.0173 for its raw scores): a series whose scores have been ~0 for days
must still see a run of clearly raised scores, not one of 0.02, before it
counts. On NAB dev the standard deviation's floor matters most: 0.05 lets a
run of scores averaging ~0.2 through (realKnownCause 26.5 -> 47), 0.02 turns
ordinary wobbles into alarms (the artificial files 93 -> 74), 0.08 keeps
almost nothing.

The distribution is re-estimated when the detector refits its models (as
HTM re-estimates every 100 points), from scored points only, so the result
does not depend on how points are split into calls.
"""

from __future__ import annotations

import numpy as np
from scipy.special import log_ndtr

from .calibration import DECADES


class AnomalyLikelihood:
    """Score the mean of the last ``window`` scores against the long-run distribution of such means.

    Parameters
    ----------
    window : int
        Scores averaged (points: the statistic is a mean of scores).
    history : int
        Recent means the normal law is estimated from.
    min_mean, min_std : float
        Floors of the law's mean and standard deviation.
    min_history : int
        Means needed before the law is estimated; until then the score is 0.
    decades : float
        Tail probability ``10 ** -decades`` maps to score 1, as for
        :class:`~analytics.algorithms.calibration.TailCalibrator`.

    Attributes
    ----------
    recent_ : ndarray
        The last ``window - 1`` scores fed (zeros before any: no score, no surprise).
    means_ : ndarray
        The last ``history`` means of ``window`` scores.
    mean_, std_ : float or None
        The normal law, from the last :meth:`estimate` (None: not yet).
    """

    def __init__(
        self,
        window: int = 20,
        history: int = 1000,
        min_mean: float = 0.03,
        min_std: float = 0.05,
        min_history: int = 100,
        decades: float = DECADES,
    ):
        self.window = window
        self.history = history
        self.min_mean = min_mean
        self.min_std = min_std
        self.min_history = min_history
        self.decades = decades
        self.recent_ = np.zeros(window - 1)
        self.means_ = np.empty(0)
        self.mean_ = None
        self.std_ = None

    def estimate(self) -> AnomalyLikelihood:
        """Fit the normal law to the means held (if there are ``min_history``); returns self."""
        if self.means_.size >= self.min_history:
            self.mean_ = max(float(np.mean(self.means_)), self.min_mean)
            self.std_ = max(float(np.std(self.means_)), self.min_std)
        return self

    def update(self, scores: np.ndarray) -> np.ndarray:
        """Likelihood scores in [0, 1] of the new ``scores`` (NaN counts as 0), shape (n,); learns them."""
        x = np.nan_to_num(np.asarray(scores, dtype=np.float64))
        n = x.size
        joined = np.concatenate([self.recent_, x])
        # Summed in one fixed order per point, so any split into calls adds alike.
        total = joined[:n].copy()
        for lag in range(1, self.window):
            total += joined[lag : lag + n]
        means = total / self.window
        self.recent_ = joined[joined.size - (self.window - 1) :]
        self.means_ = np.concatenate([self.means_, means])[-self.history :]
        if self.mean_ is None:
            return np.zeros(n)
        z = (means - self.mean_) / self.std_
        log10_tail = log_ndtr(-z) / np.log(10.0)
        return np.clip(-log10_tail / self.decades, 0.0, 1.0)
