"""Analytics jobs: load, compute, save. Plain functions that take `now`.

The scheduler calls them in-process; Celery tasks (core/tasks.py) call
the same functions for one shard of the series each.
"""

from __future__ import annotations

import datetime as dt
import math

from analytics.algorithms.peer_groups import peer_groups
from analytics.choices import DetectorKind
from analytics.detection import detect_series
from analytics.forecasting import NotEnoughData, SeriesForecast, forecast_series
from analytics.models import Detector, Forecast
from analytics.peer_detection import detect_peer_group
from core.job_runs import recorded
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


def forecasted_series():
    """Series forecast by the job: those with a capacity (disk, memory, ...)."""
    return Series.objects.filter(capacity__isnull=False)


def run_forecasts(now: dt.datetime, shard: int = 0, n_shards: int = 1) -> dict:
    """Refresh the stored forecast of every forecasted series in this shard."""
    totals = {"series": 0, "stored": 0, "not_enough_data": 0}
    with recorded("forecast", shard=shard, n_shards=n_shards) as run:
        for series in forecasted_series().order_by("pk"):
            if series.pk % n_shards != shard:
                continue
            totals["series"] += 1
            try:
                result = forecast_series(series, now)
            except NotEnoughData:
                totals["not_enough_data"] += 1
                continue
            store_forecast(series, result, now)
            totals["stored"] += 1
        run.n_series, run.details = totals["series"], {**run.details, **totals}
    return totals


def store_forecast(series: Series, result: SeriesForecast, now: dt.datetime) -> Forecast:
    """Replace the series' stored forecast with `result`."""
    crossing = result.crossing
    fields = {
        "created_at": now,
        "model": result.model,
        "step_seconds": int(result.step.total_seconds()),
        "trained_from": result.trained_from,
        "trained_to": result.trained_to,
        "points": forecast_points(result.frame),
        "levels": list(result.levels),
        "skill": result.skill,
        "threshold": result.threshold,
        "threshold_at": _timestamp(crossing.expected) if crossing else None,
        "threshold_earliest": _timestamp(crossing.earliest) if crossing else None,
        "threshold_latest": _timestamp(crossing.latest) if crossing else None,
    }
    forecast, _ = Forecast.objects.update_or_create(series=series, defaults=fields)
    return forecast


def forecast_points(frame) -> list[dict]:
    """The forecast frame as JSON rows: {"ts": ..., "mean": ..., "lo-80": ..., ...}."""
    return [
        {"ts": ts.isoformat(), **{k: (float(v) if math.isfinite(v) else None) for k, v in row.items()}}
        for ts, row in zip(frame.index, frame.to_dict("records"), strict=True)
    ]


def _timestamp(value):
    return value.to_pydatetime() if value is not None else None


def run_peer_detectors(now: dt.datetime, shard: int = 0, n_shards: int = 1) -> dict:
    """Judge the complete windows of every peer group of every peer detector."""
    totals = {"groups": 0, "series": 0, "anomalies": 0}
    with recorded("detect_peers", shard=shard, n_shards=n_shards) as run:
        for detector in Detector.objects.filter(enabled=True, kind=DetectorKind.PEER_GROUP).order_by("pk"):
            for group in peer_groups(watched_series(detector)):
                members = list(group.members.values())
                if min(m.pk for m in members) % n_shards != shard:
                    continue  # a group goes to the shard of its first member
                totals["groups"] += 1
                totals["series"] += len(members)
                totals["anomalies"] += detect_peer_group(detector, members, now)
        run.n_series, run.details = totals["series"], {**run.details, **totals}
    return totals
