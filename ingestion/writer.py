"""The one write path into the points table.

Every way metrics arrive ends here: resolve each sample's series (cached,
created on first sight, safe under concurrent writers), then COPY the points
in one transaction. A batch is first copied straight into the table, the
fastest path PostgreSQL has; only if that collides with stored points (a
re-sent batch) is it copied again through a staging table with
`ON CONFLICT DO NOTHING`, so a retry stores nothing twice without every
batch paying for the conflict check. Re-sent points keep the first value.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import psycopg2
from django.db import DatabaseError, IntegrityError, connection, transaction

from ingestion import partitions
from ingestion.samples import LineError, Sample, SampleColumns
from ingestion.series_cache import SeriesResolver
from ingestion.series_deletion import HOLD_AGAINST_DELETION_SQL
from ingestion.series_spans import LAST_TS_RESOLUTION_US, SpanBook, SpanRow

__all__ = ["LAST_TS_RESOLUTION_US", "WriteResult", "copy_payload", "write_samples"]

logger = logging.getLogger(__name__)

# PostgreSQL's binary timestamps count microseconds from 2000-01-01 UTC.
_PG_EPOCH_US = 946_684_800_000_000
_CHECK_VIOLATION = "23514"
_US_PER_DAY = 86_400_000_000
_ROW = np.dtype(
    [
        ("n_fields", ">i2"),
        ("len_series", ">i4"),
        ("series_id", ">i8"),
        ("len_ts", ">i4"),
        ("ts", ">i8"),
        ("len_value", ">i4"),
        ("value", ">f8"),
    ]
)
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
_COPY_TRAILER = b"\xff\xff"
_COPY_COLUMNS = "(series_id, ts, value) FROM STDIN WITH (FORMAT binary)"

_resolver = SeriesResolver()
_spans = SpanBook()


class WriteResult(NamedTuple):
    written: int  # points newly stored
    duplicates: int  # points already stored (or repeated in the batch), kept as they were
    series_created: int
    refused: (
        tuple[LineError, ...] | list[LineError]
    ) = ()  # lines whose new series would pass their source's limit


def write_samples(samples: Sequence[Sample], *, source=None, key=None, lazy_spans=False) -> WriteResult:
    """Store `samples` in one transaction; return what was written.

    `key` is the ApiKey that sent them (None for tsmon's own writers) and
    `source` its Source; series without a `host` label are attached to it.
    With `lazy_spans` (the HTTP write endpoints) the series' last points are
    written to their rows every few seconds instead of with this batch
    (ingestion.series_spans says what readers then see).
    A line whose new series would pass a series limit (ingestion.series_limits)
    is refused whole (in `refused`), the others are written. Database
    errors (ConcurrentChange among them) propagate with nothing written.
    """
    if not samples:
        return WriteResult(0, 0, 0)
    for _attempt in range(_ATTEMPTS):
        try:
            return _write_once(samples, source, key, lazy_spans)
        except _StaleCache:
            # A series or partition this process remembered is gone (deleted,
            # or dropped by retention, in another process): forget, try again.
            _resolver.clear()
            partitions.forget_known()
    raise ConcurrentChange("series of this batch were deleted while it was written; retry")


# Each try that finds a series deleted under it starts again; a series
# deleted again and again while one batch is written ends in a 503.
_ATTEMPTS = 3


class ConcurrentChange(DatabaseError):
    """Nothing was written: the batch kept losing races with deletions (a 503, retry)."""


class _StaleCache(Exception):
    pass


def _write_once(samples: Sequence[Sample], source, key, lazy_spans: bool) -> WriteResult:
    series_ids, n_created, refused_series = _resolver.resolve(samples, source, key)
    refused = []
    if refused_series:
        samples, series_ids, refused = _drop_refused(list(samples), series_ids, refused_series)
        if not samples:
            return WriteResult(0, 0, n_created, refused)
    ts_us, values = _times_and_values(samples)
    days = {dt.date(1970, 1, 1) + dt.timedelta(days=int(d)) for d in np.unique(ts_us // _US_PER_DAY)}
    partitions.ensure_partitions(days)
    with transaction.atomic():
        written = _copy_points(series_ids, ts_us, values)
        _hold_series(series_ids)
        spans = _spans.plan(series_ids, ts_us, lazy_spans)
        stored, busy = _update_spans(spans.rows) if spans.rows else (set(), set())
    _spans.committed(spans, stored, busy)
    return WriteResult(written, len(samples) - written, n_created, refused)


def _times_and_values(samples: Sequence[Sample]) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(samples, SampleColumns):
        return samples.ts_us, samples.values
    ts_us = np.fromiter((s.ts_us for s in samples), dtype=np.int64, count=len(samples))
    values = np.fromiter((s.value for s in samples), dtype=np.float64, count=len(samples))
    return ts_us, values


def _drop_refused(samples, series_ids: np.ndarray, refused_series: dict):
    """Take out every line that has a sample of a refused series: a line is
    written whole or refused whole."""
    reasons = {}
    for sample, series_id in zip(samples, series_ids, strict=True):
        if series_id < 0 and sample.line not in reasons:
            reasons[sample.line] = refused_series[(sample.metric, sample.labels)]
    keep = np.fromiter((s.line not in reasons for s in samples), dtype=bool, count=len(samples))
    kept = [s for s, k in zip(samples, keep, strict=True) if k]
    return kept, series_ids[keep], [LineError(line, reason) for line, reason in sorted(reasons.items())]


def copy_payload(series_ids: np.ndarray, ts_us: np.ndarray, values: np.ndarray) -> bytes:
    """Encode points in PostgreSQL's binary COPY format (vectorised)."""
    rows = np.empty(len(series_ids), dtype=_ROW)
    rows["n_fields"] = 3
    rows["len_series"] = rows["len_ts"] = rows["len_value"] = 8
    rows["series_id"] = series_ids
    rows["ts"] = ts_us - _PG_EPOCH_US
    rows["value"] = values
    return _COPY_HEADER + rows.tobytes() + _COPY_TRAILER


def _copy_points(series_ids, ts_us, values) -> int:
    payload = copy_payload(series_ids, ts_us, values)
    with connection.cursor() as cursor:
        try:
            with transaction.atomic():  # a savepoint: a collision undoes only the direct COPY
                cursor.copy_expert(f"COPY {partitions.PARENT} {_COPY_COLUMNS}", io.BytesIO(payload))
            return len(series_ids)
        except (IntegrityError, psycopg2.IntegrityError) as exc:  # copy_expert bypasses Django's wrapping
            if _sqlstate(exc) == _CHECK_VIOLATION:  # "no partition of relation found for row"
                raise _StaleCache from exc
            return _copy_through_staging(cursor, payload)


def _sqlstate(exc: Exception) -> str | None:
    return getattr(exc, "pgcode", None) or getattr(exc.__cause__, "pgcode", None)


def _copy_through_staging(cursor, payload: bytes) -> int:
    cursor.execute(
        "CREATE TEMP TABLE IF NOT EXISTS ingestion_point_staging"
        " (series_id bigint, ts timestamptz, value double precision) ON COMMIT DELETE ROWS"
    )
    cursor.copy_expert(f"COPY ingestion_point_staging {_COPY_COLUMNS}", io.BytesIO(payload))
    cursor.execute(
        f"INSERT INTO {partitions.PARENT} (series_id, ts, value)"
        " SELECT series_id, ts, value FROM ingestion_point_staging"
        " ON CONFLICT (series_id, ts) DO NOTHING"
    )
    written = cursor.rowcount
    cursor.execute("TRUNCATE ingestion_point_staging")
    return written


def _hold_series(series_ids: np.ndarray) -> None:
    """Check that the batch's series exist, under the lock that keeps them
    from being deleted before this transaction commits; raise _StaleCache
    if one is gone (a cached id whose series was deleted since)."""
    ids = np.unique(series_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            HOLD_AGAINST_DELETION_SQL + "; SELECT count(*) FROM ingestion_series WHERE id = ANY(%s)",
            [ids.tolist()],
        )
        if cursor.fetchone()[0] != ids.size:
            raise _StaleCache


def _update_spans(rows: list[SpanRow]) -> tuple[set[int], set[int]]:
    """Widen these series' stored spans; return the ids of the rows written
    and of those skipped because another writer held them (a series
    deleted since its span was collected is in neither)."""
    with connection.cursor() as cursor:
        # Rows that must be written are locked in id order, waiting: two
        # writers of the same series then queue instead of deadlocking. The
        # others (pending last points) are locked after them, skipping any
        # another writer holds, so no batch waits for them.
        locked = _lock_rows(cursor, [r.series_id for r in rows if r.must], "")
        locked |= _lock_rows(cursor, [r.series_id for r in rows if not r.must], " SKIP LOCKED")
        skipped = [r.series_id for r in rows if r.series_id not in locked]
        busy = _existing(cursor, skipped) if skipped else set()
        written = [r for r in rows if r.series_id in locked]
        if written:
            cursor.execute(
                """
                UPDATE ingestion_series AS s
                SET first_ts = LEAST(s.first_ts, b.first_ts), last_ts = GREATEST(s.last_ts, b.last_ts)
                FROM (
                    SELECT id,
                           timestamptz 'epoch' + first_us * interval '1 microsecond' AS first_ts,
                           timestamptz 'epoch' + last_us * interval '1 microsecond' AS last_ts
                    FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS u(id, first_us, last_us)
                ) AS b
                WHERE s.id = b.id
                """,
                [[r.series_id for r in written], [r.first_us for r in written], [r.last_us for r in written]],
            )
    return locked, busy


def _lock_rows(cursor, ids: list[int], skip_locked: str) -> set[int]:
    if not ids:
        return set()
    cursor.execute(
        f"SELECT id FROM ingestion_series WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE{skip_locked}",
        [ids],
    )
    return {row[0] for row in cursor.fetchall()}


def _existing(cursor, ids: list[int]) -> set[int]:
    cursor.execute("SELECT id FROM ingestion_series WHERE id = ANY(%s)", [ids])
    return {row[0] for row in cursor.fetchall()}
