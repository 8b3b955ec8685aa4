"""Compaction: landing rows into compressed chunks, exactly and crash-safely.

Writers only append to `ingestion_landing` (ingestion.writer); this moves
those rows into `ingestion_chunk` (the layout is described in the migration
that made it, ingestion 0006), a slice of the series at a time. One slice is
one transaction that deletes its landing rows (DELETE ... RETURNING), merges
them into the chunks they fall in, and writes those chunks again: killed at
any moment, PostgreSQL undoes the whole slice, so nothing is lost and
nothing doubled; the next run does it again.

Exactness, point by point:
- a (series, ts) in landing more than once keeps the row of the lowest batch
  (the write that began first), and a chunk's value beats any landing row,
  which is what the read functions give before compaction;
- a late point joins the chunk whose time range holds it, or the chunk just
  before it if that one has room and the same UTC day, or else starts a
  chunk of its own in the gap; chunks of a series never overlap, so no read
  has to choose between two chunks;
- a chunk holds at most MAX_CHUNK_POINTS points and one UTC day (retention
  drops a day's partition whole).

One compaction at a time (an advisory lock; a second one returns at once),
and it holds the lock that series deletion waits for, so a deletion never
races a chunk being rewritten.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import math
from typing import NamedTuple

import numpy as np
from django.db import OperationalError, connection, transaction

from ingestion import partitions
from ingestion.copy_binary import SQL_TS, SQL_US, chunk_rows, copy_out, row_dtype, timestamps_us
from ingestion.first_values import first_of_each
from ingestion.series_deletion import HOLD_AGAINST_DELETION_SQL

logger = logging.getLogger(__name__)

LANDING = "ingestion_landing"
CHUNKS = "ingestion_chunk"
# Big enough that TOAST compresses the arrays (PostgreSQL compresses a row
# only past about 2 kB, 128 points), small enough that rewriting the newest
# chunk of a series at each run stays cheap.
MAX_CHUNK_POINTS = 1000
SLICE_ROWS = 500_000  # landing rows per transaction, about
COMPACTION_LOCK = 0x7453_6D6F_6E04
_US_PER_DAY = 86_400_000_000

_LANDED = row_dtype(("series_id", ">i8"), ("ts", ">i8"), ("value", ">f8"), ("batch", ">i8"))
_CHUNKED = row_dtype(("series_id", ">i8"), ("first_ts", ">i8"), ("ts", ">i8"), ("value", ">f8"))


class CompactionResult(NamedTuple):
    landing_rows: int  # rows taken out of landing
    points: int  # distinct points they held that were not chunked yet
    chunks_written: int
    busy: bool = False  # another compaction was running: nothing done


class _MissingPartitions(Exception):
    def __init__(self, days):
        self.days = days


def compact(slice_rows: int = SLICE_ROWS) -> CompactionResult:
    """Move every landing row committed so far into chunks."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {LANDING}")
        rows = cursor.fetchone()[0]
    if not rows:
        return CompactionResult(0, 0, 0)
    partitions.ensure_partitions(_landing_days())
    n_slices = max(1, math.ceil(rows / slice_rows))
    taken = points = chunks = 0
    for k in range(n_slices):
        result = _compact_slice(k, n_slices)
        if result.busy:
            return CompactionResult(taken, points, chunks, busy=True)
        taken, points, chunks = (
            taken + result.landing_rows,
            points + result.points,
            chunks + result.chunks_written,
        )
    if not connection.in_atomic_block:
        _reclaim_landing()
    logger.debug("compacted %d landing rows (%d new points) into %d chunks", taken, points, chunks)
    return CompactionResult(taken, points, chunks)


def _reclaim_landing() -> None:
    """Give the emptied landing table's space back: TRUNCATE it if no one is
    using it and nothing landed since (a lock taken without waiting, so no
    writer queues behind it), else VACUUM it so the next writes reuse the
    space and the next reads scan no dead rows."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {LANDING} IN ACCESS EXCLUSIVE MODE NOWAIT")
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {LANDING})")
            if not cursor.fetchone()[0]:
                cursor.execute(f"TRUNCATE {LANDING}")
                return
    except OperationalError:  # in use: a writer or a reader holds it
        pass
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM {LANDING}")


def _landing_days():
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT (ts AT TIME ZONE 'UTC')::date FROM {LANDING}")
        return [row[0] for row in cursor.fetchall()]


def _compact_slice(k: int, n_slices: int) -> CompactionResult:
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return _compact_slice_once(k, n_slices)
        except _MissingPartitions as missing:  # rows of a new day landed since compact() looked
            partitions.forget_known()
            partitions.ensure_partitions(missing.days)
    raise RuntimeError("the partitions for compacted chunks could not be created")


def _compact_slice_once(k: int, n_slices: int) -> CompactionResult:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [COMPACTION_LOCK])
        if not cursor.fetchone()[0]:
            return CompactionResult(0, 0, 0, busy=True)
        cursor.execute(HOLD_AGAINST_DELETION_SQL)
        landed = copy_out(
            cursor,
            f"DELETE FROM {LANDING} WHERE series_id % {n_slices} = {k} RETURNING series_id, ts, value, batch",
            _LANDED,
        )
        if not len(landed):
            return CompactionResult(0, 0, 0)
        sid, ts = landed["series_id"].astype(np.int64), timestamps_us(landed["ts"])
        keep = first_of_each(sid, ts, landed["batch"])
        new = sid[keep], ts[keep], landed["value"][keep].astype(np.float64)
        targets, new_segments = _place(cursor, *new[:2])
        old = _take_chunks(cursor, targets)
        sid, ts, values, segments = _merge(old, (*new, new_segments))
        pieces = _pieces(sid, ts, segments)
        _check_partitions({int(ts[start] // _US_PER_DAY) for start, _ in pieces})
        payload = chunk_rows((int(sid[a]), ts[a:b], values[a:b]) for a, b in pieces)
        cursor.copy_expert(f"COPY {CHUNKS} FROM STDIN WITH (FORMAT binary)", io.BytesIO(payload))
        return CompactionResult(len(landed), len(sid) - len(old[0]), len(pieces))


def _place(cursor, sid: np.ndarray, ts: np.ndarray):
    """Which chunks the new points go into, and each point's segment.

    A segment is a run of one series that may become chunks without
    crossing a chunk left alone: 2i+1 is the i-th chunk that overlaps or
    precedes the new points (with the points joining it), 2i+2 the gap after
    it (0 the gap before the first). Returns the (series, first_ts) of the
    chunks to rewrite and the segment of every new point.
    """
    segments = np.zeros(len(sid), dtype=np.int64)
    series, starts = np.unique(sid, return_index=True)
    ends = np.r_[starts[1:], len(sid)]
    meta = _chunks_near(cursor, series, ts[starts], ts[ends - 1])
    targets: dict[tuple[int, int], int] = {}
    for series_id, (first, last, count) in meta.items():
        at = np.searchsorted(series, series_id)
        span = slice(starts[at], ends[at])
        points = ts[span]
        idx = np.searchsorted(first, points, side="right") - 1
        before = np.maximum(idx, 0)
        inside = (idx >= 0) & (points <= last[before])
        joins = (
            (idx >= 0)
            & (count[before] < MAX_CHUNK_POINTS)
            & (first[before] // _US_PER_DAY == points // _US_PER_DAY)
        )
        into_chunk = inside | joins
        segments[span] = np.where(into_chunk, 2 * idx + 1, 2 * idx + 2)
        targets.update({(series_id, int(first[i])): 2 * int(i) + 1 for i in np.unique(idx[into_chunk])})
    return targets, segments


def _chunks_near(cursor, series: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> dict:
    """Per series: first_ts, last_ts and n of its chunks that overlap [lo, hi]
    or come just before lo, in time order (as arrays)."""
    cursor.execute(
        f"""
        WITH u AS (
            SELECT id, {SQL_TS.format("lo")} AS lo, {SQL_TS.format("hi")} AS hi
            FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS x(id, lo, hi)
        )
        SELECT c.series_id, {SQL_US.format("c.first_ts")}, {SQL_US.format("c.last_ts")}, c.n
        FROM u JOIN {CHUNKS} c ON c.series_id = u.id
         AND c.first_ts > u.lo - interval '1 day' AND c.first_ts <= u.hi AND c.last_ts >= u.lo
        UNION
        SELECT p.* FROM u CROSS JOIN LATERAL (
            SELECT c.series_id, {SQL_US.format("c.first_ts")}, {SQL_US.format("c.last_ts")}, c.n
            FROM {CHUNKS} c WHERE c.series_id = u.id AND c.first_ts < u.lo
            ORDER BY c.first_ts DESC LIMIT 1
        ) p
        ORDER BY 1, 2
        """,
        [series.tolist(), lo.tolist(), hi.tolist()],
    )
    rows = cursor.fetchall()
    meta: dict[int, list] = {}
    for series_id, first, last, n in rows:
        meta.setdefault(series_id, []).append((first, last, n))
    return {
        sid: tuple(np.array(col, dtype=np.int64) for col in zip(*chunks, strict=True))
        for sid, chunks in meta.items()
    }


def _take_chunks(cursor, targets: dict[tuple[int, int], int]):
    """Read and delete the target chunks: (series, ts, value, segment) of their points."""
    if not targets:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0, dtype=np.float64), empty
    ids, firsts = [key[0] for key in targets], [key[1] for key in targets]
    keys = (
        f"unnest(%s::bigint[], %s::bigint[]) AS k(id, first_us) JOIN {CHUNKS} c"
        f" ON c.series_id = k.id AND c.first_ts = {SQL_TS.format('k.first_us')}"
    )
    query = cursor.mogrify(
        f"""
        SELECT c.series_id, {SQL_US.format("c.first_ts")}, p.ts, p.value FROM {keys}
        CROSS JOIN LATERAL tsmon_chunk_points(c.first_ts, c.step_us, c.ts_deltas, c.vals) p
        """,
        [ids, firsts],
    ).decode()
    rows = copy_out(cursor, query, _CHUNKED)
    cursor.execute(
        f"DELETE FROM {CHUNKS} c USING unnest(%s::bigint[], %s::bigint[]) AS k(id, first_us)"
        f" WHERE c.series_id = k.id AND c.first_ts = {SQL_TS.format('k.first_us')}",
        [ids, firsts],
    )
    if cursor.rowcount != len(targets):
        raise RuntimeError(f"compaction expected {len(targets)} chunks to rewrite, found {cursor.rowcount}")
    sid, first = rows["series_id"].astype(np.int64), rows["first_ts"].astype(np.int64)
    chunk_keys, inverse = np.unique(np.stack([sid, first], axis=1), axis=0, return_inverse=True)
    per_chunk = np.array([targets[(int(a), int(b))] for a, b in chunk_keys], dtype=np.int64)
    return sid, timestamps_us(rows["ts"]), rows["value"].astype(np.float64), per_chunk[inverse.ravel()]


def _merge(old, new):
    """One run of (series, ts, value, segment) in (series, ts) order, the
    chunk's point where a (series, ts) is in both. Segments rise with time
    within a series, so this is segment order too."""
    sid, ts, values, segments = (np.concatenate([a, b]) for a, b in zip(old, new, strict=True))
    rank = np.r_[np.zeros(len(old[0]), dtype=np.int8), np.ones(len(new[0]), dtype=np.int8)]
    keep = first_of_each(sid, ts, rank)
    return sid[keep], ts[keep], values[keep], segments[keep]


def _pieces(sid: np.ndarray, ts: np.ndarray, segments: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index ranges of the chunks to write: per series, segment
    and UTC day, cut into near-equal pieces of at most MAX_CHUNK_POINTS."""
    day = ts // _US_PER_DAY
    change = (
        np.flatnonzero((sid[1:] != sid[:-1]) | (segments[1:] != segments[:-1]) | (day[1:] != day[:-1])) + 1
    )
    bounds = np.r_[0, change, len(sid)]
    pieces = []
    for start, end in zip(bounds[:-1], bounds[1:], strict=True):
        n_pieces = math.ceil((end - start) / MAX_CHUNK_POINTS)
        cuts = np.linspace(start, end, n_pieces + 1).round().astype(int)
        pieces += list(zip(cuts[:-1].tolist(), cuts[1:].tolist(), strict=True))
    return pieces


def _check_partitions(days: set[int]) -> None:
    wanted = {dt.date(1970, 1, 1) + dt.timedelta(days=d) for d in days}
    missing = wanted - partitions.existing_days()
    if missing:
        raise _MissingPartitions(missing)
