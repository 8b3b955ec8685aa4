"""Where the streaming detector's anomaly events start, and which scores it
damps: an event is reported once at its onset, not at every point of it."""

from __future__ import annotations

import numpy as np


def event_starts(
    score: np.ndarray, first: int, quiet_until: int, alarm_level: float, refractory: int
) -> tuple[np.ndarray, np.ndarray, int]:
    """Event starts and damped points among scores of points `first`, `first` + 1, ...

    An event starts where the score reaches `alarm_level` after the refractory
    period of the one before (which ends at point `quiet_until`); the next
    `refractory` points are damped. Returns the starts, the damped points and
    where the last refractory period ends.
    """
    # Events are sequential (an alarm silences the next `refractory` points),
    # but only the few points above alarm_level need the loop.
    alarm = np.zeros(score.size, bool)
    damped = np.zeros(score.size, bool)
    damped[: max(0, min(score.size, quiet_until - first))] = True
    for i in np.flatnonzero(score >= alarm_level):
        if first + i >= quiet_until:
            alarm[i] = True
            quiet_until = first + i + 1 + refractory
            damped[i + 1 : i + 1 + refractory] = True
    return alarm, damped, quiet_until


def repeats_in_runs(score: np.ndarray, level: float, run_max: float) -> tuple[np.ndarray, float]:
    """True where a point of a run of scores >= `level` is no higher than an earlier one.

    `run_max` is the highest score of the run the previous call ended in (0:
    none), which this call's first run continues; returns the mask and the
    same for the end of this call.
    """
    x = np.nan_to_num(score)
    high = x >= level
    if not high.any():
        return np.zeros(x.size, bool), 0.0 if x.size else run_max
    # The high points, after the last call's run maximum, which run 0
    # continues; runs are numbered by the low points before them.
    values = np.concatenate([[run_max], x[high]])
    run = np.concatenate([[0], np.cumsum(~high)[high]])
    # Integer ranks offset by run make one running maximum restart at each
    # run, exactly (float offsets would round).
    rank = np.searchsorted(np.sort(values), values)  # equal values, equal ranks
    key = rank + (values.size + 1) * run
    repeat = np.zeros(x.size, bool)
    repeat[high] = key[1:] <= np.maximum.accumulate(key)[:-1]
    return repeat, float(values[run == run[-1]].max()) if high[-1] else 0.0
