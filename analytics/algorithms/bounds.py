"""Keep a forecast inside the values a series can take (0–100 for a percentage)."""

from __future__ import annotations

import numpy as np


def clip_to_bounds(values: np.ndarray, lower: float | None, upper: float | None) -> np.ndarray:
    """``values`` with everything below ``lower`` or above ``upper`` set to that bound.

    Clipping, not a transform (logit, log of the headroom): a transformed
    forecast approaches the upper bound without ever reaching it, so a disk
    would never be full; a clipped one reaches it when the line does. And
    since the true value lies within the bounds, clipping never moves a
    forecast away from it, nor does it leave a true value outside an
    interval it was inside. NaN stays NaN.
    """
    return np.clip(values, -np.inf if lower is None else lower, np.inf if upper is None else upper)
