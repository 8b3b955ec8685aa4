"""Run a detector over one series: load state, score new points, save.

The streaming detector is the same object the backtest runs
(`analytics.algorithms.detector.StreamingDetector`). Its pickled state and
watermark are saved in the same transaction as the anomalies it found, so
a run that dies half-way leaves nothing behind and the next run redoes
exactly the same work: stored anomalies never depend on how runs were cut.
While a series is in the detector's warm-up (its first day, see
`StreamingDetector.warmup_seconds`) its points are scored and learned from
but score 0, so nothing is stored; the state's `learning` says so.
"""

from __future__ import annotations

import datetime as dt
import pickle
from typing import NamedTuple

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from analytics.algorithms.detector import Detections, StreamingDetector
from analytics.choices import AnomalyKind
from analytics.events import record_events
from analytics.models import Anomaly, Detector, DetectorState
from core.numbers import finite_or_none
from ingestion.models import Series

# One run scores at most this many points per series; the rest waits for the
# next run, so a detector added over a long history cannot block the others.
MAX_POINTS_PER_RUN = 200_000
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_ONE_US = dt.timedelta(microseconds=1)  # (watermark, now] as the read function's [start, end)
_LOCK_NAMESPACE = 0x74736D6F  # "tsmo": advisory locks of (detector, series) pairs


class SeriesRun(NamedTuple):
    scored: int
    anomalies: int
    skipped: bool = False  # another worker holds this series


def build_detector(detector: Detector) -> StreamingDetector:
    """A fresh streaming detector with the detector's parameters."""
    return StreamingDetector(**detector.params)


def detect_series(detector: Detector, series: Series, now: dt.datetime) -> SeriesRun:
    """Score the points of `series` newer than its watermark, up to `now`."""
    with transaction.atomic():
        if not _try_lock(detector.pk, series.pk):
            return SeriesRun(0, 0, skipped=True)
        state, _ = DetectorState.objects.select_for_update().get_or_create(detector=detector, series=series)
        ts_us, values = _new_points(series.pk, state.watermark, now)
        if ts_us.size == 0:
            return SeriesRun(0, 0)
        model = pickle.loads(state.state) if state.state else build_detector(detector)
        first_index = getattr(model, "n_seen_", 0)
        detections = model.update(ts_us * 1000, values)
        versions = _model_versions(model, first_index, ts_us.size)
        n_anomalies = _store_anomalies(detector, series, ts_us, values, detections, versions)
        record_events(
            detector,
            series,
            AnomalyKind.POINT,
            ts_us,
            detections.raw_score,
            detections.direction,
            detector.min_score,
        )
        state.state = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
        state.watermark = _to_datetime(int(ts_us[-1]))
        state.model_version = int(versions[-1])
        state.n_scored += int(ts_us.size)
        state.learning = bool(model.learning_)
        state.updated_at = timezone.now()
        state.save()
    return SeriesRun(int(ts_us.size), n_anomalies)


def _try_lock(detector_id: int, series_id: int) -> bool:
    """Take the transaction-scoped lock of this pair, or say someone has it.

    Celery workers shard by series, but a retried task can overlap a slow
    one; the lock makes sure two workers never score one series at once.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_try_advisory_xact_lock(%s, %s)",
            [_LOCK_NAMESPACE, (detector_id * 1_000_003 + series_id) % 2_147_483_647],
        )
        return cursor.fetchone()[0]


def _new_points(series_id: int, watermark: dt.datetime | None, now: dt.datetime):
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT (extract(epoch FROM ts) * 1000000)::bigint, value
            FROM tsmon_series_points(ARRAY[%s]::bigint[], %s, %s)
            ORDER BY ts LIMIT %s
            """,
            [series_id, (watermark or _EPOCH) + _ONE_US, now + _ONE_US, MAX_POINTS_PER_RUN],
        )
        rows = cursor.fetchall()
    ts_us = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    values = np.fromiter((r[1] for r in rows), dtype=np.float64, count=len(rows))
    return ts_us, values


def _model_versions(model: StreamingDetector, first_index: int, n: int) -> np.ndarray:
    """The model version that scored each point: how many fits came before it."""
    index = first_index + np.arange(n)
    fits = 1 + (index - model.min_train) // model.retrain_every
    return np.where(index < model.min_train, 0, fits)


def _store_anomalies(detector, series, ts_us, values, detections: Detections, versions: np.ndarray) -> int:
    # The undamped score: every unusual point is stored, also one soon after
    # an earlier event (events, not damping, keep people from being told twice).
    flagged = np.flatnonzero(detections.raw_score >= detector.min_score)
    rows = [
        Anomaly(
            detector=detector,
            series=series,
            ts=_to_datetime(int(ts_us[i])),
            kind=AnomalyKind.POINT,
            score=float(detections.raw_score[i]),
            value=float(values[i]),
            expected=finite_or_none(detections.expected[i]),
            lo=finite_or_none(detections.lo[i]),
            hi=finite_or_none(detections.hi[i]),
            direction=int(detections.direction[i]),
            model_version=int(versions[i]),
        )
        for i in flagged
    ]
    Anomaly.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
    return len(rows)


def _to_datetime(ts_us: int) -> dt.datetime:
    return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=ts_us)
