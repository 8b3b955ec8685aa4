"""The one write path into the points store.

Every way metrics arrive ends here: resolve each sample's series (cached,
created on first sight, safe under concurrent writers), drop the batch's own
repeats of a (series, ts) (the first wins), then COPY the points into the
landing table (no index, so COPY runs at heap speed) stamped with one batch
number, in one transaction. A point re-sent by a later batch is stored again
in landing and ignored by every read: the read rule and the compaction that
moves landing rows into chunks are in ingestion.compaction and the
migration that made the tables (ingestion 0006).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from django.db import DatabaseError, connection, transaction

from ingestion.copy_binary import (
    HEADER,
    PG_EPOCH_US,
    SQL_TS,
    SQL_US,
    TRAILER,
    copy_out,
    row_dtype,
    timestamps_us,
)
from ingestion.first_values import first_of_each
from ingestion.samples import LineError, Sample, SampleColumns
from ingestion.series_cache import SeriesResolver
from ingestion.series_deletion import HOLD_AGAINST_DELETION_SQL
from ingestion.series_spans import LAST_TS_RESOLUTION_US, SpanBook, SpanRow

__all__ = ["LAST_TS_RESOLUTION_US", "WriteResult", "copy_payload", "write_samples"]

logger = logging.getLogger(__name__)

_ROW = row_dtype(("series_id", ">i8"), ("ts", ">i8"), ("value", ">f8"), ("batch", ">i8"))
_STORED = row_dtype(("series_id", ">i8"), ("ts", ">i8"))
LANDING = "ingestion_landing"
_COPY = f"COPY {LANDING} (series_id, ts, value, batch) FROM STDIN WITH (FORMAT binary)"

_resolver = SeriesResolver()
_spans = SpanBook()


class WriteResult(NamedTuple):
    written: int  # points stored (see already_stored for one sent again within a minute)
    duplicates: int  # points repeated within the batch or found stored already: not written
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
            # A series this process remembered is gone (deleted in another
            # process): forget, try again.
            _resolver.clear()
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
    keep = first_of_each(series_ids, ts_us, np.arange(len(series_ids)))
    series_ids, ts_us, values = series_ids[keep], ts_us[keep], values[keep]
    with transaction.atomic():
        spans_stored = _hold_series(series_ids)
        new = ~already_stored(series_ids, ts_us, spans_stored)
        if new.any():
            _copy_points(series_ids[new], ts_us[new], values[new])
        spans = _spans.plan(series_ids, ts_us, lazy_spans)
        stored, busy = _update_spans(spans.rows) if spans.rows else (set(), set())
    _spans.committed(spans, stored, busy)
    written = int(new.sum())
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


def copy_payload(series_ids: np.ndarray, ts_us: np.ndarray, values: np.ndarray, batch: int) -> bytes:
    """Encode landing rows in PostgreSQL's binary COPY format (vectorised)."""
    rows = np.empty(len(series_ids), dtype=_ROW)
    rows["n_fields"] = 4
    rows["len_series_id"] = rows["len_ts"] = rows["len_value"] = rows["len_batch"] = 8
    rows["series_id"] = series_ids
    rows["ts"] = ts_us - PG_EPOCH_US
    rows["value"] = values
    rows["batch"] = batch
    return HEADER + rows.tobytes() + TRAILER


def _copy_points(series_ids, ts_us, values) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('ingestion_landing_batch')")
        batch = cursor.fetchone()[0]
        cursor.copy_expert(_COPY, io.BytesIO(copy_payload(series_ids, ts_us, values, batch)))


def _hold_series(series_ids: np.ndarray) -> np.ndarray:
    """Check that the batch's series exist, under the lock that keeps them
    from being deleted before this transaction commits; raise _StaleCache
    if one is gone (a cached id whose series was deleted since). Returns
    their stored spans: rows (id, first µs, last µs), by id."""
    ids = np.unique(series_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            HOLD_AGAINST_DELETION_SQL
            + f"; SELECT id, {SQL_US.format('first_ts')}, {SQL_US.format('last_ts')}"
            " FROM ingestion_series WHERE id = ANY(%s) ORDER BY id",
            [ids.tolist()],
        )
        rows = cursor.fetchall()
    if len(rows) != ids.size:
        raise _StaleCache
    return np.array(
        [(i, f if f is not None else 1, last if last is not None else 0) for i, f, last in rows],
        dtype=np.int64,
    ).reshape(-1, 3)


def already_stored(series_ids: np.ndarray, ts_us: np.ndarray, spans: np.ndarray) -> np.ndarray:
    """Which points are stored already, looked up only where a series'
    stored span holds the point's time: a point past its series' stored last
    point (every fresh one) costs nothing. The stored span lags the newest
    point by up to a minute (ingestion.series_spans), so a point re-sent
    within that minute is not found here: it is written again, and reads
    keep its first value all the same."""
    at = np.searchsorted(spans[:, 0], series_ids)
    maybe = (ts_us >= spans[at, 1]) & (ts_us <= spans[at, 2])
    found = np.zeros(len(series_ids), dtype=bool)
    if not maybe.any():
        return found
    sid, ts = series_ids[maybe], ts_us[maybe]
    query = f"SELECT series_id, ts FROM tsmon_series_points(%s::bigint[], {SQL_TS.format('%s')}, {SQL_TS.format('%s')})"
    with connection.cursor() as cursor:
        sql = cursor.mogrify(query, [np.unique(sid).tolist(), int(ts.min()), int(ts.max()) + 1]).decode()
        rows = copy_out(cursor, sql, _STORED)
    found[np.flatnonzero(maybe)] = _member(
        sid, ts, rows["series_id"].astype(np.int64), timestamps_us(rows["ts"])
    )
    return found


def _member(sid, ts, stored_sid, stored_ts) -> np.ndarray:
    """For each (sid, ts): is it among the stored pairs?"""
    keys = np.concatenate([stored_sid, sid]), np.concatenate([stored_ts, ts])
    is_stored = np.r_[np.ones(len(stored_sid), dtype=bool), np.zeros(len(sid), dtype=bool)]
    order = np.lexsort((~is_stored, keys[1], keys[0]))  # a stored pair sorts before its twin
    k0, k1, flags = keys[0][order], keys[1][order], is_stored[order]
    twin = np.zeros(len(order), dtype=bool)
    twin[1:] = flags[:-1] & (k0[1:] == k0[:-1]) & (k1[1:] == k1[:-1])
    result = np.empty(len(order), dtype=bool)
    result[order] = twin
    return result[len(stored_sid) :]


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
