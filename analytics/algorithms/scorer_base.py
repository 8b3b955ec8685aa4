"""What the window scorers share: the pandas edge (fit on a Series, score a Series)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .validation import check_series


class WindowScorerMixin:
    """Gives a scorer with ``fit_values`` / ``score_values`` a pandas face.

    A scorer using this mixin defines ``context_size`` (how many earlier values
    a point's score needs), ``fit_values(values)`` and ``score_values(values,
    n_new)``, which scores the last ``n_new`` of ``values`` from them and their
    past only (causal). The streaming detector calls those array methods. A
    scorer with ``fit_uses_time`` also takes the values' int64 ns timestamps
    as ``ts=`` in both.
    """

    def fit(self, y: pd.Series):
        """Train on the series ``y`` (UTC-indexed; NaN forward-filled for features); returns self."""
        ts, values = check_series(y)
        if getattr(self, "fit_uses_time", False):
            return self.fit_values(values, ts=ts)
        return self.fit_values(values)

    def score(self, y: pd.Series) -> pd.Series:
        """Calibrated score in [0, 1] of each point of ``y`` from it and earlier points of ``y``.

        NaN values get NaN; points with less than ``context_size`` earlier
        values are scored from the history they have.
        """
        ts, values = check_series(y)
        if getattr(self, "fit_uses_time", False):
            scores = self.score_values(values, values.size, ts=ts)
        else:
            scores = self.score_values(values, values.size)
        scores = np.where(np.isnan(values), np.nan, scores)
        return pd.Series(scores, index=y.index, name="score")
