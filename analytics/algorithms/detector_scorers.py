"""The scorers inside the streaming detector: its default set, fitting a copy
of one on the history, scoring with the history each needs, and what the
latest fits say about a point's context (seasonal gate, expected band, noise)."""

from __future__ import annotations

import copy

import numpy as np

from .kmeans import KMeansWindowScorer
from .residual import ResidualScorer
from .seasonal import SeasonalContextScorer


def default_scorers() -> list:
    """Changes (smoothed differences), levels, one-step residuals and the same phase of earlier cycles."""
    # Levels: k-means on smoothed values, four centres for multi-level series;
    # against the straight line of a steady trend where one explains 90 % of
    # their variance. The phase of earlier cycles catches shape and variance changes.
    return [
        KMeansWindowScorer(window=12, smooth=6),
        KMeansWindowScorer(n_clusters=4, window=6, smooth=12, diff=False, trend_r2=0.9),
        ResidualScorer(),
        SeasonalContextScorer(),
    ]


def fitted_copy(prototype, history: np.ndarray, ts_buffer: np.ndarray, step_ns: float | None):
    """A copy of `prototype` fitted on `history`, with the step or times it takes."""
    model = copy.deepcopy(prototype)
    if getattr(model, "fit_uses_step", False):
        return model.fit_values(history, step_ns=step_ns)
    if getattr(model, "fit_uses_time", False):
        # A detector pickled before timestamps were kept may hold fewer times than values.
        times = ts_buffer[-history.size :] if ts_buffer.size >= history.size else None
        return model.fit_values(history, ts=times)
    return model.fit_values(history)


def recent_scores(model, context: np.ndarray, context_ts: np.ndarray, n: int) -> np.ndarray:
    """One fitted scorer's scores of the last ``n`` points, from the history it needs."""
    size = model.context_size + 1 + n
    values = context[-size:]
    if getattr(model, "fit_uses_time", False) and context_ts.size >= values.size:
        return model.score_values(values, n, ts=context_ts[-values.size :])
    return model.score_values(values, n)


def seasonal_gate(
    score: np.ndarray, models: list, per_scorer: list, context: np.ndarray, n: int, in_daily_band: np.ndarray
) -> np.ndarray:
    """`score` where a seasonal scorer finds the value ordinary in context: that scorer's own score."""
    # Inside the daily profile's band a point scores what the seasonal
    # scorer's shape comparison says (0 without a seasonal scorer).
    in_context = np.zeros(n)
    for fits, own in zip(models, per_scorer, strict=True):
        latest = fits[-1]
        if hasattr(latest, "expected_mask"):
            expected = latest.expected_mask(context[-(latest.context_size + 1 + n) :], n)
            score = np.where(expected, np.minimum(own, score), score)
            in_context = own
    return np.where(in_daily_band, np.minimum(in_context, score), score)


def expected_band(models: list, context: np.ndarray, n: int) -> tuple[np.ndarray, float]:
    """Expected values of the last `n` points and the band's half width, from the first residual scorer."""
    for fits in models:
        latest = fits[-1]
        if isinstance(latest, ResidualScorer):
            return latest.expected_values(context, n), latest.half_width_
    return np.full(n, np.nan), np.nan


def residual_noise(models: list) -> float:
    """The robust scale of the latest residual scorer's one-step residuals (0 before its first fit)."""
    for fits in models:
        if fits and isinstance(fits[-1], ResidualScorer):
            return fits[-1].scale_
    return 0.0
