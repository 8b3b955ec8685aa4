"""Reads of series and points, shared by the API, pages, jobs and notebooks.

Series are selected with the ORM (label matchers become JSONB containment,
which the GIN index serves; regex matchers PostgreSQL's `~`, each pattern
first compiled by PostgreSQL itself in `check_regexes`). Points are read
with SQL through the one read function of the points store,
`tsmon_series_points(ids, start, end)` (ingestion 0006: it merges the
compressed chunks with the landing rows not compacted yet): raw points in
(series, ts) order. Downsampled reads take the function's two halves
apart for speed (`read_arrays`): the chunk rows by binary COPY, decoded in
numpy, and the landing rows that count from the view the function reads;
then the bucket of `date_bin` and the aggregate over the raw points of
each bucket in numpy (`ingestion.buckets`), so a variance at any step is
exact, not a variance of means. Large answers are read in chunks, one short statement
each (`RowStream`), so a reader never holds them whole.
"""

from __future__ import annotations

import datetime as dt
import io
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

from ingestion import buckets
from ingestion.copy_binary import SQL_US, chunk_points
from ingestion.models import Series
from ingestion.selectors import Matcher, Selector, SelectorError

# Compiling a pattern is where a regex costs PostgreSQL most (seconds for
# some of a few hundred characters); the check of one selector's regexes
# gives up after this long.
REGEX_CHECK_TIMEOUT_MS = 1000
CHUNK_ROWS = 5000  # rows per statement of a RowStream: about 0.5 MB of Python objects
INVALID_REGULAR_EXPRESSION = "2201B"

AGGREGATES = buckets.AGGREGATES  # per bucket of a downsampled read
# Points of one downsampling statement at most (as the chunks count them): about
# 14 MB by binary COPY, and a few arrays of it in numpy.
MAX_POINTS_PER_READ = 500_000
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# The chunks of series that reach into [t0, t1) (params: ids, t1, t0, t0): a
# chunk holds one UTC day, so one that reaches t0 starts on t0's day or later.
_CHUNKS_IN_RANGE = """
    FROM ingestion_chunk WHERE series_id = ANY(%s::bigint[]) AND first_ts < %s
      AND first_ts >= date_trunc('day', %s::timestamptz, 'UTC') AND last_ts >= %s
"""
# The two halves of tsmon_series_points (ingestion 0006), for read_arrays.
CHUNKS_QUERY = f"SELECT series_id, first_ts, step_us, ts_deltas, vals {_CHUNKS_IN_RANGE}"
LANDED_QUERY = f"""
    SELECT series_id, {SQL_US.format("ts")}, value FROM ingestion_landed
    WHERE series_id = ANY(%s::bigint[]) AND ts >= %s AND ts < %s
"""


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
    reads = _bucket_reads(sorted(series_ids), start, end, step, agg, CHUNK_ROWS)
    return [PointRow(*row) for rows in reads for row in rows]


def _bucket_reads(
    ids: list[int], start: dt.datetime, end: dt.datetime, step: dt.timedelta, agg: str, chunk_rows: int
) -> Iterator[list[tuple]]:
    """The buckets of `ids` in [start, end), about `chunk_rows` buckets and at
    most MAX_POINTS_PER_READ points a statement: a few series at a time, or
    one series a stretch of whole buckets at a time (so every bucket is
    aggregated once, whole)."""
    n_buckets = max(1, math.ceil((end - start) / step))
    points = _chunked_points(ids, start, end)
    for group in _series_groups(ids, points, max(1, chunk_rows // n_buckets)):
        stretches = max(1, math.ceil(sum(points.get(i, 0) for i in group) / MAX_POINTS_PER_READ))
        stretch = step * max(1, min(chunk_rows, math.ceil(n_buckets / stretches)))
        since = start
        while since < end:
            until = end if len(group) > 1 else min(end, since + stretch)
            if rows := _bucketed(group, since, until, step, agg, origin=start):
                yield rows
            since = until


def _series_groups(ids: list[int], points: dict[int, int], most: int) -> Iterator[list[int]]:
    """Runs of at most `most` series and MAX_POINTS_PER_READ points (one series alone may hold more)."""
    group, held = [], 0
    for series_id in ids:
        n = points.get(series_id, 0)
        if group and (len(group) == most or held + n > MAX_POINTS_PER_READ):
            yield group
            group, held = [], 0
        group.append(series_id)
        held += n
    if group:
        yield group


def _chunked_points(ids: list[int], start: dt.datetime, end: dt.datetime) -> dict[int, int]:
    """Points per series in the chunks that reach into [start, end), from their
    heads alone: what a read will decode, give or take the landing rows.

    An ordinary statement, so the request's statement timeout is set (a
    COPY passes no execute wrapper) before the reads that follow it.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT series_id, sum(n) {_CHUNKS_IN_RANGE} GROUP BY series_id", [ids, end, start, start]
        )
        return {series_id: int(n) for series_id, n in cursor.fetchall()}


def _bucketed(ids, start, end, step, agg, origin) -> list[tuple]:
    """(series id, bucket start, value) of the points in [start, end), the
    buckets of `step` laid from `origin`, aggregated in numpy (`ingestion.buckets`)."""
    sid, bucket_us, values = buckets.aggregate(
        *read_arrays(ids, start, end), _microseconds(origin), _microseconds(step), agg
    )
    return [
        (series_id, _EPOCH + dt.timedelta(microseconds=us), value if math.isfinite(value) else None)
        for series_id, us, value in zip(sid.tolist(), bucket_us.tolist(), values.tolist(), strict=True)
    ]


def read_arrays(ids: Sequence[int], start: dt.datetime, end: dt.datetime):
    """(series id, ts µs, value) arrays of the points of `ids` in [start, end):
    the rows of tsmon_series_points, with its chunks decoded in numpy
    (`copy_binary.chunk_points`) rather than point by point in SQL, and the
    landing rows that count from the same view it reads (`ingestion_landed`),
    so the same first-value rule. In no particular order.

    The landing rows come by an ordinary statement, first, so the request's
    statement timeout is set (a COPY passes no execute wrapper) before the
    chunks' COPY.
    """
    ids = list(ids)
    with connection.cursor() as cursor:
        cursor.execute(LANDED_QUERY, [ids, start, end])
        landed = list(zip(*cursor.fetchall(), strict=True)) or [(), (), ()]
        query = cursor.mogrify(CHUNKS_QUERY, [ids, end, start, start]).decode()
        out = io.BytesIO()
        cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT binary)", out)
    sid, ts_us, values = chunk_points(out.getvalue())
    inside = (ts_us >= _microseconds(start)) & (ts_us < _microseconds(end))
    return (
        np.concatenate([sid[inside], np.array(landed[0], dtype=np.int64)]),
        np.concatenate([ts_us[inside], np.array(landed[1], dtype=np.int64)]),
        np.concatenate([values[inside], np.array(landed[2], dtype=np.float64)]),
    )


def _microseconds(value: dt.datetime | dt.timedelta) -> int:
    span = value - _EPOCH if isinstance(value, dt.datetime) else value
    return (span.days * 86_400 + span.seconds) * 1_000_000 + span.microseconds


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
    `chunk_rows` buckets a statement (see `_bucket_reads`)."""
    return RowStream(_bucket_reads(sorted(series_ids), start, end, step, agg, chunk_rows))


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
