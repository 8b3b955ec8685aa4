"""Reads of series and points that the pages need beyond `ingestion.queries`.

Each function is one SQL statement whatever the number of series, so list
pages cost a fixed number of queries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import QuerySet

from ingestion.queries import downsample


def bucket_envelope(series_id: int, start: dt.datetime, end: dt.datetime, step: dt.timedelta) -> pd.DataFrame:
    """Mean, min, max, count and last value of one series per `step` bucket in [start, end).

    Indexed by bucket start (UTC); empty buckets are absent. With buckets no
    longer than the sampling interval, each row is one raw point.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT extract(epoch FROM date_bin(%s, ts, %s))::float8 AS bucket,
                   avg(value), min(value), max(value), count(*), (array_agg(value ORDER BY ts DESC))[1]
            FROM tsmon_series_points(ARRAY[%s]::bigint[], %s, %s)
            GROUP BY bucket ORDER BY bucket
            """,
            [step, start, series_id, start, end],
        )
        rows = cursor.fetchall()
    table = np.array(rows, dtype=np.float64).reshape(-1, 6)
    return pd.DataFrame(
        {
            "mean": table[:, 1],
            "min": table[:, 2],
            "max": table[:, 3],
            "count": table[:, 4],
            "last": table[:, 5],
        },
        index=pd.Index(table[:, 0], name="epoch_seconds"),
    )


def last_points(series_ids: Sequence[int]) -> dict[int, tuple[dt.datetime, float]]:
    """The latest point of each series (its newest chunk and the landing rows)."""
    if not series_ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT series_id, ts, value FROM tsmon_latest_points(%s::bigint[], '-infinity', 'infinity')",
            [list(series_ids)],
        )
        return {row[0]: (row[1], row[2]) for row in cursor.fetchall()}


def sparklines(
    series_ids: Sequence[int], end: dt.datetime, span: dt.timedelta, n_buckets: int = 48
) -> dict[int, list[float | None]]:
    """The mean of each series in `n_buckets` equal buckets of the `span` before `end`
    (None for an empty bucket), through the API's downsampling."""
    if not series_ids:
        return {}
    step = span / n_buckets
    start = end - span
    out = {series_id: [None] * n_buckets for series_id in series_ids}
    for row in downsample(series_ids, start, end, step, "mean"):
        index = int((row.ts - start) / step)
        if 0 <= index < n_buckets:
            out[row.series_id][index] = row.value
    return out


def label_pairs(queryset: QuerySet | None = None) -> dict[str, list[str]]:
    """Every label name in use with its values, sorted (one query, for search pickers)."""
    where, params = "", []
    if queryset is not None:
        sql, params = queryset.values("id").query.sql_with_params()
        where, params = f"WHERE id IN ({sql})", list(params)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT pair.key, pair.value FROM ingestion_series, jsonb_each_text(labels) AS pair {where}
            GROUP BY 1, 2 ORDER BY 1, 2
            """,
            params,
        )
        pairs: dict[str, list[str]] = {}
        for name, value in cursor.fetchall():
            pairs.setdefault(name, []).append(value)
        return pairs
