"""Reads of series and points, shared by the API, pages, jobs and notebooks.

Series are selected with the ORM (label matchers become JSONB containment,
which the GIN index serves). Points are read with SQL: raw points by the
primary key `(series_id, ts)`, downsampled points with `date_bin` and the
aggregate computed by PostgreSQL over the raw points of each bucket, so a
variance at any step is exact, not a variance of means.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import Q, QuerySet, TextField, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce

from ingestion.models import Series
from ingestion.selectors import Selector

AGGREGATES = {
    "mean": "avg(value)",
    "min": "min(value)",
    "max": "max(value)",
    "sum": "sum(value)",
    "count": "count(*)::float8",
    "last": "(array_agg(value ORDER BY ts DESC))[1]",
    "stddev": "stddev_samp(value)",
    "variance": "var_samp(value)",
}


class PointRow(NamedTuple):
    series_id: int
    ts: dt.datetime
    value: float


def select_series(selector: Selector, queryset: QuerySet | None = None) -> QuerySet:
    """Series matching a selector (metric name and label matchers)."""
    queryset = Series.objects.all() if queryset is None else queryset
    if selector.metric:
        queryset = queryset.filter(metric=selector.metric)
    for index, matcher in enumerate(selector.matchers):
        queryset = _apply_matcher(queryset, index, matcher)
    return queryset


def _apply_matcher(queryset: QuerySet, index: int, matcher) -> QuerySet:
    label, op, value = matcher
    if op in ("=", "!="):
        # A missing label equals "", as in Prometheus.
        condition = ~Q(labels__has_key=label) if value == "" else Q(labels__contains={label: value})
        return queryset.filter(condition) if op == "=" else queryset.exclude(condition)
    alias = f"label_{index}"
    queryset = queryset.alias(
        **{alias: Coalesce(KeyTextTransform(label, "labels"), Value(""), output_field=TextField())}
    )
    anchored = {f"{alias}__regex": f"^(?:{value})$"}
    return queryset.filter(**anchored) if op == "=~" else queryset.exclude(**anchored)


def read_points(
    series_ids: Sequence[int],
    start: dt.datetime,
    end: dt.datetime,
    limit: int,
    after: tuple[int, dt.datetime] | None = None,
) -> list[PointRow]:
    """Raw points in [start, end), ordered by series then time, at most `limit`.

    `after` is the (series_id, ts) of the last row of the previous page.
    """
    after_id, after_ts = after if after else (-1, start - dt.timedelta(microseconds=1))
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT series_id, ts, value FROM ingestion_point
            WHERE series_id = ANY(%s) AND ts >= %s AND ts < %s
              AND (series_id, ts) > (%s, %s)
            ORDER BY series_id, ts
            LIMIT %s
            """,
            [list(series_ids), start, end, after_id, after_ts, limit],
        )
        return [PointRow(*row) for row in cursor.fetchall()]


def downsample(
    series_ids: Sequence[int], start: dt.datetime, end: dt.datetime, step: dt.timedelta, agg: str
) -> list[PointRow]:
    """One aggregated point per series and `step`-long bucket in [start, end).

    Buckets start at `start`; each row's time is its bucket's start. Empty
    buckets are absent (a gap, not a zero).
    """
    expression = AGGREGATES[agg]  # the caller validated `agg`; never interpolate user text
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT series_id, date_bin(%s, ts, %s) AS bucket, {expression}
            FROM ingestion_point
            WHERE series_id = ANY(%s) AND ts >= %s AND ts < %s
            GROUP BY series_id, bucket
            ORDER BY series_id, bucket
            """,
            [step, start, list(series_ids), start, end],
        )
        return [PointRow(*row) for row in cursor.fetchall()]


def point_stats(series_id: int) -> tuple[int, dt.datetime | None, dt.datetime | None]:
    """Exact (count, first time, last time) of one series' points."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), min(ts), max(ts) FROM ingestion_point WHERE series_id = %s", [series_id]
        )
        return cursor.fetchone()


def read_series_frame(series_id: int, start: dt.datetime, end: dt.datetime) -> pd.Series:
    """The raw points of one series in [start, end) as a float Series with a
    UTC DatetimeIndex: the input form of the algorithms."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT (extract(epoch FROM ts) * 1000000)::bigint, value FROM ingestion_point
            WHERE series_id = %s AND ts >= %s AND ts < %s ORDER BY ts
            """,
            [series_id, start, end],
        )
        rows = cursor.fetchall()
    ts_us = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    values = np.fromiter((r[1] for r in rows), dtype=np.float64, count=len(rows))
    index = pd.DatetimeIndex(ts_us.astype("datetime64[us]")).tz_localize("UTC")
    return pd.Series(values, index=index, name="value")


def label_names(queryset: QuerySet | None = None) -> list[str]:
    """Every label name in use, sorted."""
    where, params = _series_filter_sql(queryset)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT jsonb_object_keys(labels) AS name FROM ingestion_series {where} ORDER BY 1",
            params,
        )
        return [row[0] for row in cursor.fetchall()]


def label_values(name: str, queryset: QuerySet | None = None) -> list[str]:
    """Every value of one label, sorted."""
    where, params = _series_filter_sql(queryset)
    where = f"{where} AND" if where else "WHERE"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT labels->>%s FROM ingestion_series {where} labels ? %s ORDER BY 1",
            [name, *params, name],
        )
        return [row[0] for row in cursor.fetchall()]


def _series_filter_sql(queryset: QuerySet | None) -> tuple[str, list]:
    if queryset is None:
        return "", []
    sql, params = queryset.values("id").query.sql_with_params()
    return f"WHERE id IN ({sql})", list(params)
