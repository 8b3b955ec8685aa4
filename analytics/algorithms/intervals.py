"""Forecast output contract and empirical prediction intervals shared by every forecaster."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def check_levels(level: Sequence[float] | None) -> list[float]:
    """Return the interval levels as floats in (0, 100), e.g. ``[80.0, 95.0]``."""
    levels = [] if level is None else [float(x) for x in level]
    for x in levels:
        if not 0 < x < 100:
            raise ValueError(f"interval levels are percentages in (0, 100), got {x}")
    return levels


def future_index(last_ts: int, step: int, h: int) -> pd.DatetimeIndex:
    """The ``h`` timestamps after ``last_ts`` (ns), ``step`` ns apart, in UTC."""
    ts = last_ts + step * np.arange(1, h + 1, dtype=np.int64)
    return pd.DatetimeIndex(ts.view("datetime64[ns]"), name="ts").tz_localize("UTC")


def infer_step(ts: np.ndarray) -> int:
    """The sampling step of a series in ns: the median spacing of its timestamps."""
    if ts.size < 2:
        raise ValueError("a forecaster needs at least two points to know the sampling step")
    return int(np.median(np.diff(ts)))


def forecast_frame(
    index: pd.DatetimeIndex, mean: np.ndarray, bounds: dict[float, tuple[np.ndarray, np.ndarray]]
) -> pd.DataFrame:
    """Build the one forecast contract: ``mean``, ``lo-<level>``, ``hi-<level>`` on future timestamps."""
    columns = {"mean": mean}
    for level in sorted(bounds):
        lo, hi = bounds[level]
        columns[f"lo-{level:g}"] = lo
        columns[f"hi-{level:g}"] = hi
    return pd.DataFrame(columns, index=index)


def horizon_scale(errors: np.ndarray, h: int) -> np.ndarray:
    """Smoothed error scale per horizon step from backtest errors.

    Parameters
    ----------
    errors : ndarray, shape (n_origins, max_horizon)
        Forecast errors (actual - forecast) of a rolling-origin backtest; NaN allowed.
    h : int
        Number of steps wanted; steps past ``max_horizon`` grow like sqrt(step).

    Returns
    -------
    ndarray, shape (h,)
        Root-mean-square error per step, made non-decreasing (an error cannot
        shrink as the horizon grows, and it pools the few origins).
    """
    rms = np.sqrt(np.nanmean(errors**2, axis=0))
    rms = np.where(np.isfinite(rms), rms, np.nanmax(rms) if np.isfinite(rms).any() else 1.0)
    rms = np.maximum.accumulate(np.maximum(rms, 1e-12))
    if h <= rms.size:
        return rms[:h]
    steps = np.arange(rms.size + 1, h + 1)
    return np.concatenate([rms, rms[-1] * np.sqrt(steps / rms.size)])


def conformal_quantiles(
    errors: np.ndarray, scale: np.ndarray, levels: list[float]
) -> dict[float, tuple[float, float]]:
    """Multipliers of the per-step scale for each level (split-conformal style).

    The absolute errors divided by their per-step scale are pooled over origins
    and steps; their ``level`` quantile, with the finite-sample correction
    ``ceil((n + 1) level) / n``, is the half width in units of the scale
    (Vovk et al. 2005; Lei et al. 2018). Symmetric, because each tail of a few
    hundred pooled errors holds too few points to be estimated on its own.
    """
    scaled = np.abs(errors / scale[: errors.shape[1]]).ravel()
    scaled = scaled[np.isfinite(scaled)]
    out = {}
    for level in levels:
        if scaled.size < 4:
            z = 1.2816 if level <= 80 else 1.96
        else:
            n = scaled.size
            z = float(np.quantile(scaled, min(1.0, np.ceil(level / 100 * (n + 1)) / n)))
        out[level] = (-z, z)
    return out
