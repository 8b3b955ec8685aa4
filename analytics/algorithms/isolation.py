"""Isolation-forest window scorer: an alternative to k-means for multi-modal behaviour."""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import IsolationForest

from .calibration import TailCalibrator
from .features import context_size, window_features
from .scorer_base import WindowScorerMixin


class IsolationWindowScorer(WindowScorerMixin):
    """Score each point by how easily an isolation forest isolates its recent window.

    Features are those of :class:`~analytics.algorithms.kmeans.KMeansWindowScorer`
    (lagged smoothed differences) plus the level relative to the training
    median, so shape and level changes both count. The raw surprise is the
    negated ``score_samples`` of scikit-learn's IsolationForest (Liu, Ting &
    Zhou 2008), calibrated by the shared
    :class:`~analytics.algorithms.calibration.TailCalibrator`. It helps where
    normal behaviour has several shapes that two centres cannot describe, at
    roughly 100 times the scoring cost of k-means.

    Parameters
    ----------
    window, smooth, diff : int, int, bool
        As for KMeansWindowScorer.
    n_estimators : int
        Trees in the forest.
    random_state : int
        Seed of the forest.
    """

    def __init__(
        self,
        window: int = 6,
        smooth: int = 3,
        diff: bool = True,
        n_estimators: int = 50,
        random_state: int = 0,
    ):
        self.window = window
        self.smooth = smooth
        self.diff = diff
        self.n_estimators = n_estimators
        self.random_state = random_state

    @property
    def context_size(self) -> int:
        return context_size(self.window, self.smooth, self.diff)

    def _features(self, values: np.ndarray, n_new: int) -> np.ndarray:
        shape = window_features(values, n_new, self.window, self.smooth, self.diff) / self.scale_
        level = (values[values.size - n_new :] - self.median_) / self.level_scale_
        return np.column_stack([shape, np.nan_to_num(level)])

    def fit_values(self, values: np.ndarray) -> IsolationWindowScorer:
        """Fit on a 1-d float array of training values; returns self."""
        n_rows = max(1, values.size - self.context_size)
        shape = window_features(values, n_rows, self.window, self.smooth, self.diff)
        self.scale_ = float(np.std(shape[:, 0])) or 1.0
        self.median_ = float(np.nanmedian(values))
        self.level_scale_ = float(np.nanstd(values)) or 1.0
        features = self._features(values, n_rows)
        self.forest_ = IsolationForest(n_estimators=self.n_estimators, random_state=self.random_state).fit(
            features
        )
        self.calibrator_ = TailCalibrator().fit(-self.forest_.score_samples(features))
        return self

    def score_values(self, values: np.ndarray, n_new: int) -> np.ndarray:
        """Calibrated scores in [0, 1] of the last ``n_new`` points, shape (n_new,)."""
        return self.calibrator_.score(-self.forest_.score_samples(self._features(values, n_new)))
