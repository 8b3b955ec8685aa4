"""The one calibration that turns every detector's raw surprise into a score in [0, 1].

A detector produces a raw, non-negative surprise (a distance, a residual in
units of its scale...). The calibrator learns the distribution of that surprise
on training data and maps a new value to its tail probability ``p``: empirical
below a high quantile, and an exponential tail fitted to the excesses above it
beyond (peaks over threshold with shape 0, as in SPOT, Siffer et al. 2017,
"Anomaly detection in streams with extreme value theory"). The score is
``log10(1 / p) / decades``, clipped to [0, 1]: 0 for an ordinary value, 0.5 for
one seen once in ``10 ** (decades / 2)`` points, 1 for a ``10 ** -decades`` event.
Scores from different detectors are therefore comparable, which is what lets
the combined detector take their maximum.
"""

from __future__ import annotations

import numpy as np

TAIL_QUANTILE = 0.98
DECADES = 8.0


class TailCalibrator:
    """Map raw surprise values to calibrated scores in [0, 1].

    Parameters
    ----------
    tail_quantile : float
        Quantile of the training surprises above which the tail is modelled.
    decades : float
        Tail probability ``10 ** -decades`` maps to score 1.

    Attributes
    ----------
    reference_ : ndarray, shape (n_ref,)
        Sorted finite training surprises.
    threshold_ : float
        The ``tail_quantile`` quantile of the reference.
    tail_scale_ : float
        Mean excess over the threshold (scale of the exponential tail).
    """

    def __init__(self, tail_quantile: float = TAIL_QUANTILE, decades: float = DECADES):
        self.tail_quantile = tail_quantile
        self.decades = decades

    def fit(self, raw: np.ndarray) -> TailCalibrator:
        """Learn the surprise distribution from training values (NaN ignored); returns self."""
        raw = np.asarray(raw, dtype=np.float64)
        reference = np.sort(raw[np.isfinite(raw)])
        if reference.size == 0:
            reference = np.zeros(1)
        self.reference_ = reference
        self.threshold_ = float(np.quantile(reference, self.tail_quantile))
        excess = reference[reference > self.threshold_] - self.threshold_
        spread = float(np.quantile(reference, 0.9) - np.quantile(reference, 0.5))
        # A floor on the tail scale keeps a near-constant training set from
        # turning every tiny wiggle into a certain anomaly.
        floor = max(spread, 1e-9 * max(1.0, abs(self.threshold_)), 1e-12)
        self.tail_scale_ = max(float(excess.mean()) if excess.size else 0.0, floor)
        return self

    def tail_probability(self, raw: np.ndarray) -> np.ndarray:
        """Probability of a surprise at least this large, shape of ``raw``; NaN stays NaN."""
        raw = np.asarray(raw, dtype=np.float64)
        n = self.reference_.size
        at_least = n - np.searchsorted(self.reference_, raw, side="left")
        empirical = (at_least + 1.0) / (n + 1.0)
        tail_mass = 1.0 - self.tail_quantile
        with np.errstate(over="ignore", invalid="ignore"):
            tail = tail_mass * np.exp(-(raw - self.threshold_) / self.tail_scale_)
        p = np.where(raw > self.threshold_, np.minimum(tail, empirical), empirical)
        return np.where(np.isnan(raw), np.nan, p)

    def score(self, raw: np.ndarray) -> np.ndarray:
        """Calibrated score in [0, 1] for each raw surprise; NaN stays NaN."""
        p = self.tail_probability(raw)
        with np.errstate(divide="ignore"):
            s = -np.log10(np.maximum(p, 1e-300)) / self.decades
        return np.where(np.isnan(p), np.nan, np.clip(s, 0.0, 1.0))

    def inverse(self, score: float) -> float:
        """The raw surprise whose calibrated score is ``score`` (used to draw bands)."""
        p = 10.0 ** (-score * self.decades)
        tail_mass = 1.0 - self.tail_quantile
        if p >= tail_mass:
            return float(np.quantile(self.reference_, 1.0 - p))
        return float(self.threshold_ + self.tail_scale_ * np.log(tail_mass / p))


def combine_scores(scores: np.ndarray, decades: float = DECADES) -> np.ndarray:
    """Fisher's combination of calibrated scores from several scorers, as one score in [0, 1].

    Each score ``s`` stands for a tail probability ``p = 10 ** (-s * decades)``;
    Fisher's statistic ``-2 sum(log p)`` follows a chi-square law with ``2k``
    degrees of freedom for ``k`` independent scorers, whose survival function
    has the closed form ``exp(-x/2) sum_{j<k} (x/2)**j / j!`` (Fisher,
    "Statistical Methods for Research Workers", 1925, section 21.1). The
    combined probability is mapped back to a score like any other. Unlike the
    maximum, it lets several moderately surprised scorers outweigh one.

    Parameters
    ----------
    scores : ndarray, shape (k, n)
        Calibrated scores of ``k`` scorers for ``n`` points; NaN stays NaN.
    decades : float
        As for :class:`TailCalibrator`.

    Returns
    -------
    ndarray, shape (n,)
    """
    scores = np.asarray(scores, dtype=np.float64)
    half = scores.sum(axis=0) * decades * np.log(10.0)  # x / 2
    term = np.ones_like(half)
    total = np.ones_like(half)
    for j in range(1, scores.shape[0]):
        term = term * half / j
        total = total + term
    with np.errstate(invalid="ignore"):
        log10_p = (-half + np.log(total)) / np.log(10.0)
        return np.clip(-log10_p / decades, 0.0, 1.0)
