"""Builders for tests: data made in code, no fixtures on disk."""

from __future__ import annotations

import datetime as dt

from ingestion.samples import Sample, canonical_labels

# Every stored point, as the read function gives it (one per series and ts):
# the view of (series_id, ts, value) over it (ingestion 0006).
ALL_POINTS = "ingestion_point"
# The tables that hold points, for TRUNCATE.
POINT_TABLES = "ingestion_landing, ingestion_chunk"


def stored_point_count() -> int:
    """How many points are stored (each series and ts once)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {ALL_POINTS}")
        return cursor.fetchone()[0]


def epoch_us(when: dt.datetime) -> int:
    """Microseconds since the epoch of an aware datetime."""
    return int(when.timestamp()) * 1_000_000 + when.microsecond


def make_samples(
    metric: str = "cpu_used_percent",
    labels: dict[str, str] | None = None,
    start: dt.datetime | None = None,
    n_points: int = 6,
    step_seconds: int = 60,
    values=None,
) -> list[Sample]:
    """Return `n_points` samples of one series, one every `step_seconds`."""
    start = start or dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) - dt.timedelta(hours=1)
    key_labels = canonical_labels(labels if labels is not None else {"host": "web-1"})
    values = list(values) if values is not None else [float(i) for i in range(n_points)]
    t0 = epoch_us(start)
    return [
        Sample(metric, key_labels, t0 + i * step_seconds * 1_000_000, float(values[i]), i + 1)
        for i in range(n_points)
    ]


def forget_write_caches() -> None:
    """Empty what this process remembers of the database for writing: series
    ids, pending series spans, known partitions and API keys. A test whose
    database was rolled back or emptied must not write through ids or keys
    that are gone."""
    from ingestion import auth, partitions, writer

    writer._resolver.clear()
    writer._spans.clear()
    partitions.forget_known()
    auth.forget_keys()
