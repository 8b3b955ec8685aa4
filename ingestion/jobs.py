"""Ingestion jobs: load, compute, save. Plain functions that take `now`."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from django.conf import settings
from django.db import transaction

from ingestion import demo
from ingestion.compaction import CompactionResult, compact
from ingestion.models import Series
from ingestion.partitions import maintain_partitions
from ingestion.writer import write_samples


class DemoSummary(NamedTuple):
    n_series: int
    n_points: int
    start: dt.datetime
    end: dt.datetime
    anomalies: list


def load_demo_data(now: dt.datetime, seed: int) -> DemoSummary:
    """Write the demo data set, ending at `now`, and set series capacities."""
    data = demo.build_demo(now, seed=seed)
    n_points = 0
    for series in data.series:
        result = write_samples(demo.iter_samples(data, series))
        n_points += result.written
    compact()  # the demo starts compacted, as a server that has run a while is
    with transaction.atomic():
        for series in data.series:
            if series.capacity is not None:
                Series.objects.filter(key=Series.make_key(series.metric, series.labels)).update(
                    capacity=series.capacity
                )
    end = data.start + dt.timedelta(minutes=len(data.timestamps_us) - 1)
    return DemoSummary(len(data.series), n_points, data.start, end, data.anomalies)


def compact_points(now: dt.datetime) -> CompactionResult:
    """Move the landing rows written so far into chunks (ingestion.compaction)."""
    return compact()


def maintain_point_partitions(now: dt.datetime) -> tuple[list, list]:
    """Create partitions ahead and drop those past retention (see settings)."""
    return maintain_partitions(now, settings.TSMON_RETENTION_DAYS, settings.TSMON_PARTITIONS_AHEAD_DAYS)
