"""Peer-group outliers: which series of one metric (across hosts) behave unlike the rest."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.cluster import DBSCAN

from .calibration import TailCalibrator
from .validation import check_series

MIN_MEMBERS = 3
OUTLIER_SCORE = 0.5


def peer_deviations(frame: pd.DataFrame) -> np.ndarray:
    """Each member's distance from the median member, in units of the members' robust spread.

    Parameters
    ----------
    frame : pandas.DataFrame, shape (n_times, n_members)
        One column per member, a UTC DatetimeIndex; NaN allowed.

    Returns
    -------
    ndarray, shape (n_members, n_times)
        ``(x_m(t) - median_t) / (1.4826 * MAD_t)``, the MAD floored at its
        median over time so that one moment of perfect agreement does not
        turn a tiny difference into a huge one. NaN where the value is NaN.
    """
    values = frame.to_numpy(dtype=np.float64).T
    centre = np.nanmedian(values, axis=0)
    spread = 1.4826 * np.nanmedian(np.abs(values - centre), axis=0)
    typical = np.nanmedian(spread) if np.isfinite(spread).any() else 0.0
    floor = max(typical, 1e-9 * max(1.0, float(np.nanmax(np.abs(values)))))
    return (values - centre) / np.maximum(np.nan_to_num(spread), floor)


def peer_outliers(frame: pd.DataFrame, method: str = "mad", eps: float = 3.0) -> pd.DataFrame:
    """Find the members of a peer group that behave unlike the rest over the window of ``frame``.

    Parameters
    ----------
    frame : pandas.DataFrame, shape (n_times, n_members)
        The series of one metric across hosts, aligned on a UTC DatetimeIndex.
    method : {"mad", "dbscan"}
        ``"mad"``: a member is an outlier when its mean absolute deviation from
        the median member (in MAD units, Leys et al. 2013) scores at least 0.5.
        ``"dbscan"``: members are clustered on their deviation series with
        DBSCAN (Ester et al. 1996, ``min_samples`` = half the group); noise
        points are the outliers.
    eps : float
        DBSCAN radius, as a root-mean-square deviation in MAD units.

    Returns
    -------
    pandas.DataFrame
        Indexed by member: ``distance`` (mean absolute deviation), ``score`` in
        [0, 1] from the shared TailCalibrator fitted on the pointwise
        deviations of the more typical half of the members, ``outlier`` (bool) and ``direction`` (+1 above the group,
        -1 below). A member with no values gets NaN and is never an outlier.

    Raises
    ------
    ValueError
        With fewer than 3 members: with two there is no majority to differ from.
    """
    if frame.shape[1] < MIN_MEMBERS:
        raise ValueError(f"a peer group needs at least {MIN_MEMBERS} members, got {frame.shape[1]}")
    if method not in ("mad", "dbscan"):
        raise ValueError(f"method must be 'mad' or 'dbscan', got {method!r}")
    check_series(frame.iloc[:, 0], "frame")
    deviations = peer_deviations(frame)
    with np.errstate(all="ignore"):
        distance = np.nanmean(np.abs(deviations), axis=1)
        direction = np.sign(np.nanmedian(deviations, axis=1))
    # Calibrate on the more typical half of the group, so that the outliers we
    # look for do not widen the reference they are judged against.
    typical = distance <= np.nanmedian(distance)
    score = TailCalibrator().fit(np.abs(deviations[typical]).ravel()).score(distance)
    if method == "mad":
        outlier = score >= OUTLIER_SCORE
    else:
        rms = np.sqrt(np.nanmean(deviations**2, axis=1, keepdims=True)) if deviations.size else deviations
        vectors = np.nan_to_num(deviations) / np.sqrt(max(1, deviations.shape[1]))
        labels = DBSCAN(eps=eps, min_samples=max(2, frame.shape[1] // 2)).fit(vectors).labels_
        outlier = (labels == -1) & np.isfinite(rms[:, 0])
    return pd.DataFrame(
        {
            "distance": distance,
            "score": score,
            "outlier": outlier & np.isfinite(distance),
            "direction": np.nan_to_num(direction).astype(np.int8),
        },
        index=frame.columns,
    )
