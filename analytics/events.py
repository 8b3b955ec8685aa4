"""Anomaly events: runs of anomalous points of one series, merged as they arrive.

A flagged point joins the series' latest event when it comes at most
`MAX_GAP_POINTS` sampling intervals after the event's end (a dip between two
flagged points does not split one incident into two); otherwise it starts a
new event. Events carry their peak score and where it was.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from analytics.models import AnomalyEvent

MAX_GAP_POINTS = 5
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def record_events(
    detector, series, kind, ts_us, scores, directions, min_score: float, gap_us: int | None = None
) -> int:
    """Extend or create the events of the flagged points; return how many were created.

    `gap_us` is the longest quiet time inside one event; by default
    `MAX_GAP_POINTS` sampling intervals of `ts_us`.
    """
    flagged = np.flatnonzero(scores >= min_score)
    if flagged.size == 0:
        return 0
    if gap_us is None:
        gap_us = MAX_GAP_POINTS * _sampling_interval_us(ts_us)
    latest = (
        AnomalyEvent.objects.filter(detector=detector, series=series, kind=kind).order_by("-start").first()
    )
    created = 0
    for run in _runs(ts_us[flagged], gap_us):
        idx = flagged[run]
        event = latest if latest is not None and _us(latest.end) >= ts_us[idx[0]] - gap_us else None
        if event is None:
            event = AnomalyEvent(
                detector=detector,
                series=series,
                kind=kind,
                start=_dt(ts_us[idx[0]]),
                peak_score=-1.0,
                n_points=0,
            )
            created += 1
        _absorb(event, idx, ts_us, scores, directions)
        event.save()
        latest = event
    return created


def _runs(flagged_ts: np.ndarray, gap_us: int) -> list[np.ndarray]:
    """Split flagged positions into runs separated by more than `gap_us`."""
    breaks = np.flatnonzero(np.diff(flagged_ts) > gap_us) + 1
    return np.split(np.arange(flagged_ts.size), breaks)


def _absorb(event: AnomalyEvent, idx: np.ndarray, ts_us, scores, directions) -> None:
    peak = idx[np.argmax(scores[idx])]
    if scores[peak] > event.peak_score:
        event.peak_score = float(scores[peak])
        event.peak_ts = _dt(ts_us[peak])
        event.direction = int(directions[peak])
    event.end = _dt(ts_us[idx[-1]])
    event.n_points += int(idx.size)


def _sampling_interval_us(ts_us: np.ndarray) -> int:
    if ts_us.size < 2:
        return 60_000_000
    return max(1, int(np.median(np.diff(ts_us))))


def _us(when: dt.datetime) -> int:
    return (when - _EPOCH) // dt.timedelta(microseconds=1)


def _dt(ts_us) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=int(ts_us))
