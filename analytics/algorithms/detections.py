"""What the streaming detector reports per point (:class:`Detections`), and
the detections of consecutive calls joined into one."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class Detections:
    """Per-point output of :meth:`StreamingDetector.update`, arrays of shape (n,).

    Attributes
    ----------
    score : float64, in [0, 1]; NaN where the value was NaN, 0 before the first model.
    expected : float64, the value the detector expected (NaN before the first model).
    lo, hi : float64, the band of ordinary values around ``expected``.
    direction : int8, +1 above ``expected``, -1 below, 0 equal or unknown.
    alarm : bool, True where an anomaly event starts (score >= alarm_level
        outside a refractory period).
    raw_score : float64, the score before refractory damping. ``score`` reports
        an event once at its onset (what NAB-style scoring rewards);
        ``raw_score`` is how unusual each point is on its own, which live
        detection stores so that a second anomaly soon after a first is not
        hidden.
    learning : bool, True where the point fell in the detector's warm-up
        (see ``warmup_seconds``): it was scored and learned from, but its
        score is reported as 0 (NaN stays NaN) and it starts no event.
    """

    score: np.ndarray
    expected: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    direction: np.ndarray
    alarm: np.ndarray
    raw_score: np.ndarray | None = None
    learning: np.ndarray | None = None

    def to_frame(self, ts: np.ndarray) -> pd.DataFrame:
        """The detections as a frame indexed by the UTC timestamps ``ts`` (int64 ns)."""
        index = pd.DatetimeIndex(
            np.asarray(ts, dtype=np.int64).view("datetime64[ns]"), name="ts"
        ).tz_localize("UTC")
        return pd.DataFrame(self.__dict__, index=index)


def concat_detections(parts: list[Detections]) -> Detections:
    """The detections of consecutive calls as one."""
    if not parts:
        empty = np.empty(0)
        return Detections(empty, empty, empty, empty, np.empty(0, np.int8), np.empty(0, bool))
    fields = Detections.__dataclass_fields__
    return Detections(
        **{
            name: np.concatenate([getattr(p, name) for p in parts])
            for name in fields
            if getattr(parts[0], name) is not None
        }
    )
