"""K-means window scorer, in the spirit of Netdata's machine-learning anomaly detector."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from .calibration import TailCalibrator
from .features import context_size, window_features
from .scorer_base import WindowScorerMixin


class KMeansWindowScorer(WindowScorerMixin):
    """Score each point by how far its recent behaviour is from every learned cluster.

    Each point's feature vector is the last ``window`` values of the smoothed,
    differenced series (see :func:`~analytics.algorithms.features.window_features`),
    divided by the training spread. A clustering model (k-means with 2 centres
    by default, as Netdata uses) is fitted on the training vectors; the raw
    surprise of a point is the Euclidean distance to the nearest centre, and
    :class:`~analytics.algorithms.calibration.TailCalibrator` calibrates it
    against the training distances. Source: Netdata, "Machine learning (ML)
    powered anomaly detection" (docs, 2022); MacQueen 1967 for k-means.

    Parameters
    ----------
    n_clusters : int
        Centres of the default k-means model.
    window : int
        Lagged values per feature vector.
    smooth : int
        Trailing mean length applied after differencing.
    diff : bool
        Difference the series first (scores changes rather than levels).
    clusterer : scikit-learn clusterer or None
        Any estimator with ``fit`` and ``cluster_centers_``; cloned. ``None``
        means ``KMeans(n_clusters, n_init=2, random_state=random_state)``.
    random_state : int
        Seed of the default k-means.

    Attributes
    ----------
    scale_ : float
        Training spread of the smoothed differences.
    centers_ : ndarray, shape (n_clusters, window)
    calibrator_ : TailCalibrator
    """

    def __init__(
        self,
        n_clusters: int = 2,
        window: int = 6,
        smooth: int = 3,
        diff: bool = True,
        clusterer=None,
        random_state: int = 0,
    ):
        self.n_clusters = n_clusters
        self.window = window
        self.smooth = smooth
        self.diff = diff
        self.clusterer = clusterer
        self.random_state = random_state

    @property
    def context_size(self) -> int:
        return context_size(self.window, self.smooth, self.diff)

    def fit_values(self, values: np.ndarray) -> KMeansWindowScorer:
        """Fit on a 1-d float array of training values; returns self."""
        n_rows = max(1, values.size - self.context_size)
        features = window_features(values, n_rows, self.window, self.smooth, self.diff)
        spread = float(np.std(features[:, 0]))
        self.scale_ = spread if spread > 0 else 1.0
        model = (
            self.clusterer
            if self.clusterer is not None
            else KMeans(self.n_clusters, n_init=2, random_state=self.random_state)
        )
        n_clusters = getattr(model, "n_clusters", 1)
        scaled = features / self.scale_
        if scaled.shape[0] < n_clusters:
            self.centers_ = scaled.mean(axis=0, keepdims=True)
        else:
            # One thread: a job parallelises across series; OpenMP threads on a
            # small fit only add start-up cost (and spin on a busy machine).
            # A flat stretch has fewer distinct windows than clusters: KMeans
            # then warns but its centres (the distinct windows) are right.
            with threadpool_limits(1), warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                self.centers_ = clone(model).fit(scaled).cluster_centers_
        self.calibrator_ = TailCalibrator().fit(self._distance(scaled))
        return self

    def raw_values(self, values: np.ndarray, n_new: int) -> np.ndarray:
        """Distance to the nearest centre for the last ``n_new`` points, shape (n_new,)."""
        features = window_features(values, n_new, self.window, self.smooth, self.diff) / self.scale_
        return self._distance(features)

    def score_values(self, values: np.ndarray, n_new: int) -> np.ndarray:
        """Calibrated scores in [0, 1] of the last ``n_new`` points, shape (n_new,)."""
        return self.calibrator_.score(self.raw_values(values, n_new))

    def _distance(self, scaled: np.ndarray) -> np.ndarray:
        gaps = scaled[:, None, :] - self.centers_[None, :, :]
        return np.sqrt(np.min(np.einsum("nkw,nkw->nk", gaps, gaps), axis=1))
