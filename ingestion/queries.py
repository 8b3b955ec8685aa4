"""Reads of series and points, shared by the API, pages, jobs and notebooks.

Series are selected with the ORM (label matchers become JSONB containment,
which the GIN index serves; regex matchers PostgreSQL's `~`, each pattern
first compiled by PostgreSQL itself in `check_regexes`). Points are read
with SQL through the one read function of the points store,
`tsmon_series_points(ids, start, end)` (ingestion 0006: it merges the
compressed chunks with the landing rows not compacted yet): raw points in
(series, ts) order, downsampled
points with `date_bin` and the aggregate computed by PostgreSQL over the
raw points of each bucket, so a variance at any step is exact, not a
variance of means. Large answers are read in chunks, one short statement
each (`RowStream`), so a reader never holds them whole.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Iterator, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
import psycopg2.errors
from django.db import DatabaseError, DataError, connection, transaction
from django.db.models import Q, QuerySet, TextField, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce

from ingestion.models import Series
from ingestion.selectors import Matcher, Selector, SelectorError

# Compiling a pattern is where a regex costs PostgreSQL most (seconds for
# some of a few hundred characters); the check of one selector's regexes
# gives up after this long.
REGEX_CHECK_TIMEOUT_MS = 1000
CHUNK_ROWS = 5000  # rows per statement of a RowStream: about 0.5 MB of Python objects
INVALID_REGULAR_EXPRESSION = "2201B"

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
    """Series matching a selector (metric name and label matchers).

    Raises SelectorError, before any series is read, for a regex that
    PostgreSQL refuses or finds too costly to compile.
    """
    check_regexes(selector)
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
    anchored = {f"{alias}__regex": matcher.sql_regex}
    return queryset.filter(**anchored) if op == "=~" else queryset.exclude(**anchored)


def check_regexes(selector: Selector) -> None:
    """Let PostgreSQL compile each regex of `selector` as a query will use it.

    Python and PostgreSQL accept different regex dialects, and only
    PostgreSQL knows what it finds too complex; asking it is the one sure
    check. All the regexes of one selector share REGEX_CHECK_TIMEOUT_MS.
    Raises SelectorError naming the label and PostgreSQL's reason.
    """
    regexes = [m for m in selector.matchers if m.op in ("=~", "!~")]
    if not regexes:
        return
    deadline = time.monotonic() + REGEX_CHECK_TIMEOUT_MS / 1000
    # A savepoint (or a transaction) that is always rolled back: the short
    # timeout ends with it, and an error leaves an outer transaction usable.
    with transaction.atomic(), connection.cursor() as cursor:
        for matcher in regexes:
            remaining_ms = max(1, round((deadline - time.monotonic()) * 1000))
            cursor.execute("SET LOCAL statement_timeout = %s", [remaining_ms])
            _compile_in_database(cursor, matcher)
        transaction.set_rollback(True)


def _compile_in_database(cursor, matcher: Matcher) -> None:
    try:
        cursor.execute("SELECT '' ~ %s", [matcher.sql_regex])
    except DataError as exc:
        if getattr(exc.__cause__, "pgcode", None) != INVALID_REGULAR_EXPRESSION:
            raise
        reason = exc.__cause__.diag.message_primary
        raise SelectorError(
            f"PostgreSQL refuses the regular expression for {matcher.label!r}: {reason}"
        ) from None
    except DatabaseError as exc:
        if not isinstance(exc.__cause__, psycopg2.errors.QueryCanceled):
            raise
        raise SelectorError(
            f"the regular expression for {matcher.label!r} is too costly: PostgreSQL took over "
            f"{REGEX_CHECK_TIMEOUT_MS} ms to compile the selector's; simplify it (fewer or smaller repetitions)"
        ) from None


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
    with connection.cursor() as cursor:
        cursor.execute(*_points_query(series_ids, start, end, limit, after))
        return [PointRow(*row) for row in cursor.fetchall()]


def _points_query(series_ids, start, end, limit, after) -> tuple[str, list]:
    """The next `limit` points after `after`, through the one read function
    (ingestion 0006): the rest of the `after` series, then the series after it."""
    after_id, after_ts = after if after else (-1, start - dt.timedelta(microseconds=1))
    rest = sorted(i for i in series_ids if i > after_id)
    sql = """
        SELECT * FROM (
            SELECT series_id, ts, value FROM tsmon_series_points(ARRAY[%s]::bigint[], %s, %s) WHERE ts > %s
            UNION ALL
            SELECT series_id, ts, value FROM tsmon_series_points(%s::bigint[], %s, %s)
        ) p
        ORDER BY series_id, ts
        LIMIT %s
    """
    return sql, [after_id, start, end, after_ts, rest, start, end, limit]


def downsample(
    series_ids: Sequence[int], start: dt.datetime, end: dt.datetime, step: dt.timedelta, agg: str
) -> list[PointRow]:
    """One aggregated point per series and `step`-long bucket in [start, end).

    Buckets start at `start`; each row's time is its bucket's start. Empty
    buckets are absent (a gap, not a zero).
    """
    with connection.cursor() as cursor:
        cursor.execute(*_downsample_query(series_ids, start, end, step, agg))
        return [PointRow(*row) for row in cursor.fetchall()]


def _downsample_query(series_ids, start, end, step, agg, origin=None) -> tuple[str, list]:
    """Buckets of `step` from `origin` (default `start`), of the points in [start, end)."""
    expression = AGGREGATES[agg]  # the caller validated `agg`; never interpolate user text
    sql = f"""
        SELECT series_id, date_bin(%s, ts, %s) AS bucket, {expression}
        FROM tsmon_series_points(%s::bigint[], %s, %s)
        GROUP BY series_id, bucket
        ORDER BY series_id, bucket
    """
    return sql, [step, origin or start, list(series_ids), start, end]


class RowStream:
    """Rows of one read, a chunk at a time, each chunk fetched by a short
    statement of its own, so that no more than a chunk is held at once and
    each statement runs under the statement timeout.

    (Not a server-side cursor: in autocommit it would be WITH HOLD, and
    PostgreSQL runs such a cursor's query at commit, where no statement
    timeout applies.) The first chunk is read when the stream is made, so a
    timeout or an error reaches the caller before any byte of an answer is
    sent. Iterate once; `close()` stops the reading.
    """

    def __init__(self, chunks: Iterator[list[tuple]]):
        self._chunks = chunks
        self._first = next(chunks, None)

    def __iter__(self) -> Iterator[list[tuple]]:
        if self._first is not None:
            first, self._first = self._first, None
            yield first
        yield from self._chunks

    def close(self) -> None:
        self._chunks.close()


def stream_points(
    series_ids: Sequence[int],
    start: dt.datetime,
    end: dt.datetime,
    limit: int,
    after: tuple[int, dt.datetime] | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> RowStream:
    """`read_points` as a RowStream of (series_id, ts, value) tuples: pages
    of `chunk_rows` read one after the other, each from where the last ended."""

    def chunks() -> Iterator[list[tuple]]:
        position, left = after, limit
        while left > 0:
            rows = _fetch(*_points_query(series_ids, start, end, min(left, chunk_rows), position))
            if rows:
                yield rows
            if len(rows) < min(left, chunk_rows):
                return
            left, position = left - len(rows), rows[-1][:2]

    return RowStream(chunks())


def stream_downsampled(
    series_ids: Sequence[int],
    start: dt.datetime,
    end: dt.datetime,
    step: dt.timedelta,
    agg: str,
    chunk_rows: int = CHUNK_ROWS,
) -> RowStream:
    """`downsample` as a RowStream of (series_id, bucket, value) tuples, about
    `chunk_rows` buckets a statement: a few series at a time, or one series
    a stretch of time at a time (stretches of whole buckets, so every bucket
    is aggregated once, whole)."""
    ids = sorted(series_ids)
    buckets = math.ceil((end - start) / step)
    per_query = max(1, chunk_rows // max(1, buckets))
    stretch = step * max(1, chunk_rows)

    def chunks() -> Iterator[list[tuple]]:
        for first in range(0, len(ids), per_query):
            group = ids[first : first + per_query]
            since = start
            while since < end:
                until = end if per_query > 1 else min(end, since + stretch)
                rows = _fetch(*_downsample_query(group, since, until, step, agg, origin=start))
                if rows:
                    yield rows
                since = until

    return RowStream(chunks())


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def point_stats(series_id: int) -> tuple[int, dt.datetime | None, dt.datetime | None]:
    """Exact (count, first time, last time) of one series' points."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), min(ts), max(ts) FROM tsmon_series_points(ARRAY[%s]::bigint[], '-infinity', 'infinity')",
            [series_id],
        )
        return cursor.fetchone()


def read_series_frame(
    series_id: int, start: dt.datetime, end: dt.datetime, limit: int | None = None
) -> pd.Series:
    """The raw points of one series in [start, end) as a float Series with a
    UTC DatetimeIndex: the input form of the algorithms. With `limit`, the
    first `limit` points only."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT (extract(epoch FROM ts) * 1000000)::bigint, value
            FROM tsmon_series_points(ARRAY[%s]::bigint[], %s, %s) ORDER BY ts
            LIMIT %s
            """,
            [series_id, start, end, limit],
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
