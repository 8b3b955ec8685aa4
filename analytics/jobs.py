"""Analytics jobs: load, compute, save. Plain functions that take `now`.

The scheduler calls them in-process; Celery tasks (analytics/tasks.py) call
the same functions for one shard of the series each.
"""

from __future__ import annotations

import datetime as dt

from analytics.choices import DetectorKind
from analytics.detection import detect_series
from analytics.job_runs import recorded
from analytics.models import Detector
from ingestion.models import Series
from ingestion.queries import select_series
from ingestion.selectors import parse_selector


def watched_series(detector: Detector):
    """The series a detector watches now (its selector, evaluated each run)."""
    if not detector.selector.strip():
        return Series.objects.all()
    return select_series(parse_selector(detector.selector))


def run_detectors(now: dt.datetime, shard: int = 0, n_shards: int = 1, detector_ids=None) -> dict:
    """Score new points of every watched series in this shard, per detector."""
    detectors = Detector.objects.filter(enabled=True, kind=DetectorKind.SERIES).order_by("pk")
    if detector_ids is not None:
        detectors = detectors.filter(pk__in=detector_ids)
    totals = {"series": 0, "points": 0, "anomalies": 0, "skipped": 0}
    with recorded("detect", shard=shard, n_shards=n_shards) as run:
        for detector in detectors:
            series_ids = watched_series(detector).order_by("pk").values_list("pk", flat=True)
            for series in Series.objects.filter(pk__in=[i for i in series_ids if i % n_shards == shard]):
                result = detect_series(detector, series, now)
                totals["series"] += 1
                totals["points"] += result.scored
                totals["anomalies"] += result.anomalies
                totals["skipped"] += int(result.skipped)
        run.n_series, run.n_points, run.details = (
            totals["series"],
            totals["points"],
            {**run.details, **totals},
        )
    return totals
