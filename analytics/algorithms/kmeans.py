"""K-means window scorer, in the spirit of Netdata's machine-learning anomaly detector."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from .calibration import TailCalibrator
from .features import context_size, forward_fill, window_features
from .scorer_base import WindowScorerMixin

NS_PER_DAY = 86_400 * 10**9


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
    trend_r2 : float or None
        Levels only (``diff=False``): when a straight line in time explains at
        least this share of the variance of the smoothed training levels
        (coefficient of determination), the scorer clusters the levels'
        departures from that line, continued past the training data, instead
        of the levels. A steady trend (a disk filling at a constant rate) then
        keeps its expected course, and only a departure from it (the fill
        stopping, or speeding up) is unusual; without it every new level
        above the training range was, and the demo's filling disk raised an
        event every few hours. Below the share (a daily cycle, a level shift
        in the training data, a flat series) the levels are clustered as they
        are. ``None``: never. Needs the timestamps (``fit_uses_time``).

    Attributes
    ----------
    scale_ : float
        Training spread of the smoothed differences.
    centers_ : ndarray, shape (n_clusters, window)
    calibrator_ : TailCalibrator
    trend_ : tuple of float or None
        ``(ts_ns, level, slope per day)`` of the line the levels are judged
        against: it passes ``level`` at ``ts_ns`` (the last training point);
        ``None``: no trend.
    """

    # The streaming detector passes the timestamps to fit_values and score_values.
    fit_uses_time = True

    def __init__(
        self,
        n_clusters: int = 2,
        window: int = 6,
        smooth: int = 3,
        diff: bool = True,
        clusterer=None,
        random_state: int = 0,
        trend_r2: float | None = None,
    ):
        self.n_clusters = n_clusters
        self.window = window
        self.smooth = smooth
        self.diff = diff
        self.clusterer = clusterer
        self.random_state = random_state
        self.trend_r2 = trend_r2

    @property
    def context_size(self) -> int:
        return context_size(self.window, self.smooth, self.diff)

    def fit_values(self, values: np.ndarray, ts: np.ndarray | None = None) -> KMeansWindowScorer:
        """Fit on a 1-d float array of training values (``ts``: their int64 ns times); returns self."""
        self.trend_ = self._fit_trend(values, ts)
        values = self._detrended(values, ts)
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

    def _fit_trend(self, values: np.ndarray, ts: np.ndarray | None) -> tuple[float, float, float] | None:
        """The least-squares line of the levels in time, if it explains ``trend_r2`` of their variance."""
        if self.trend_r2 is None or self.diff or ts is None or ts.size != values.size:
            return None
        if values.size < max(3, self.smooth + 2):
            return None
        x = forward_fill(values)
        if not np.isfinite(x).all():
            return None
        t_ref = int(ts[-1])
        days = (np.asarray(ts, np.int64) - t_ref) / NS_PER_DAY
        slope, level = np.polyfit(days, x, 1)
        # Judged on the smoothed levels the scorer clusters, not on the raw noise.
        kernel = np.ones(self.smooth) / self.smooth
        smoothed = np.convolve(x, kernel, mode="valid")
        residual = np.convolve(x - (level + slope * days), kernel, mode="valid")
        total = float(np.var(smoothed))
        if total <= 0 or 1.0 - float(np.var(residual)) / total < self.trend_r2:
            return None
        return (t_ref, float(level), float(slope))

    def _detrended(self, values: np.ndarray, ts: np.ndarray | None) -> np.ndarray:
        trend = getattr(self, "trend_", None)  # scorers pickled before trends: none
        if trend is None or ts is None:
            return values
        t_ref, level, slope = trend
        days = (np.asarray(ts, np.int64) - t_ref) / NS_PER_DAY
        return values - (level + slope * days)

    def raw_values(self, values: np.ndarray, n_new: int, ts: np.ndarray | None = None) -> np.ndarray:
        """Distance to the nearest centre for the last ``n_new`` points, shape (n_new,)."""
        values = self._detrended(values, ts)
        features = window_features(values, n_new, self.window, self.smooth, self.diff) / self.scale_
        return self._distance(features)

    def score_values(self, values: np.ndarray, n_new: int, ts: np.ndarray | None = None) -> np.ndarray:
        """Calibrated scores in [0, 1] of the last ``n_new`` points, shape (n_new,); ``ts`` as for fit."""
        return self.calibrator_.score(self.raw_values(values, n_new, ts))

    def _distance(self, scaled: np.ndarray) -> np.ndarray:
        gaps = scaled[:, None, :] - self.centers_[None, :, :]
        return np.sqrt(np.min(np.einsum("nkw,nkw->nk", gaps, gaps), axis=1))
