"""Peer-group detection: which members of a group of like series (one
metric across hosts) behave unlike the rest, window by window.

A peer detector's selector picks the series; they are grouped as
analytics.algorithms.peer_groups defines a peer group (one metric and its
labels across the hosts of one role), as reports group them. Each complete
window (aligned to the clock, e.g. every hour) is judged once, from the points inside it only, and its outliers are
stored as anomalies of kind "peer" at the window's end: causal, and a rerun
of the same window stores nothing twice.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from django.db import transaction
from django.utils import timezone

from analytics.algorithms.peer import peer_outliers
from analytics.algorithms.peer_groups import peer_windows
from analytics.choices import AnomalyKind
from analytics.events import record_events
from analytics.models import Anomaly, Detector, DetectorState
from core.durations import parse_duration
from core.time_range import floor_time
from ingestion.queries import downsample

MAX_WINDOWS_PER_RUN = 24 * 14  # backfill at most two weeks of hourly windows at once
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def detect_peer_group(detector: Detector, members: list, now: dt.datetime) -> int:
    """Judge every complete window of one group since its last; return anomalies stored."""
    window = parse_duration(detector.params.get("window", "1h"), "window")
    step = parse_duration(detector.params.get("step", "1m"), "step")
    method = detector.params.get("method", "mad")
    with transaction.atomic():
        states = _lock_states(detector, members)
        end = floor_time(now, window)
        start = _resume_from(states, members, end, window)
        if start >= end:
            return 0
        frame = _aligned_frame(members, start, end, step)
        stored = sum(
            _judge_window(detector, members, part, window_start + window, method, window)
            for window_start, part in peer_windows(frame, window)
        )
        for state in states:
            state.watermark, state.updated_at = end, timezone.now()
            state.save(update_fields=["watermark", "updated_at"])
    return stored


def _lock_states(detector, members) -> list[DetectorState]:
    states = []
    for series in sorted(members, key=lambda s: s.pk):
        state, _ = DetectorState.objects.get_or_create(detector=detector, series=series)
        states.append(state)
    return list(
        DetectorState.objects.select_for_update().filter(pk__in=[s.pk for s in states]).order_by("pk")
    )


def _resume_from(states, members, end: dt.datetime, window: dt.timedelta) -> dt.datetime:
    done = [s.watermark for s in states if s.watermark is not None]
    if done:
        return min(done)
    first = min((m.first_ts for m in members if m.first_ts), default=end)
    return max(floor_time(first, window) + window, end - MAX_WINDOWS_PER_RUN * window)


def _aligned_frame(members, start, end, step) -> pd.DataFrame:
    """Mean per step of each member on one time grid (columns: series ids)."""
    rows = downsample([m.pk for m in members], start, end, step, "mean")
    if not rows:
        return pd.DataFrame(
            columns=[m.pk for m in members], dtype=np.float64, index=pd.DatetimeIndex([], tz="UTC")
        )
    long = pd.DataFrame(rows, columns=["series_id", "ts", "value"])
    frame = long.pivot(index="ts", columns="series_id", values="value").reindex(
        columns=[m.pk for m in members]
    )
    frame.index = pd.DatetimeIndex(frame.index).tz_convert("UTC")
    return frame


def _judge_window(
    detector, members, present: pd.DataFrame, window_end: dt.datetime, method: str, window
) -> int:
    verdict = peer_outliers(present, method=method)
    group_mean = float(np.nanmedian(present.mean().to_numpy()))
    by_id = {m.pk: m for m in members}
    ts_us = np.array([(window_end - _EPOCH) // dt.timedelta(microseconds=1)])
    stored = 0
    for series_id, row in verdict.iterrows():
        if not row["outlier"] or row["score"] < detector.min_score:
            continue
        _store(detector, by_id[series_id], window_end, row, float(present[series_id].mean()), group_mean)
        # Consecutive outlying windows are one event.
        gap_us = window // dt.timedelta(microseconds=1)
        record_events(detector, by_id[series_id], AnomalyKind.PEER, ts_us, np.array([row["score"]]),
                      np.array([row["direction"]]), detector.min_score, gap_us)  # fmt: skip
        stored += 1
    return stored


def _store(detector, series, window_end, row, value: float, group_mean: float) -> None:
    Anomaly.objects.bulk_create(
        [
            Anomaly(
                detector=detector, series=series, ts=window_end, kind=AnomalyKind.PEER,
                score=float(row["score"]), value=value, expected=group_mean, direction=int(row["direction"]),
            )
        ],
        ignore_conflicts=True,
    )  # fmt: skip
