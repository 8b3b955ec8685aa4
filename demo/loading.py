"""Write the demo data set into tsmon, as `seed_demo` and the tests do."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from django.db import transaction

from demo import data as demo
from ingestion.compaction import compact
from ingestion.models import Series
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
