"""Fourier terms of seasonal periods: the regressors that describe a season smoothly."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def fourier_terms(position: np.ndarray, periods: Sequence[int], n_fourier: int) -> np.ndarray:
    """Sine/cosine pairs ``k = 1..K`` for each period (K at most period / 2), shape (n, n_terms)."""
    columns = []
    for period in periods:
        for k in range(1, min(n_fourier, period // 2) + 1):
            angle = 2 * np.pi * k * position / period
            columns += [np.sin(angle), np.cos(angle)]
    return np.column_stack(columns) if columns else np.empty((position.size, 0))
