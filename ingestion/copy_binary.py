"""PostgreSQL's binary COPY format, to and from numpy, for the points store.

Binary COPY moves fixed-width rows without text conversion on either side:
the landing rows out of a compaction's DELETE ... RETURNING, the points of
chunks being rewritten, chunk rows (with their two arrays) back in, and
chunk rows out for a downsampled read, decoded here.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterable

import numpy as np

# PostgreSQL's binary timestamps count microseconds from 2000-01-01 UTC.
PG_EPOCH_US = 946_684_800_000_000
HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
TRAILER = b"\xff\xff"
# SQL for microseconds since the Unix epoch <-> timestamptz, exact both ways.
SQL_US = "(extract(epoch FROM {0}) * 1000000)::bigint"
SQL_TS = "(timestamptz 'epoch' + {0} * interval '1 microsecond')"
_INT8_OID = 20
_FLOAT8_OID = 701
_ARRAY_ELEMENT = {_INT8_OID: ">i8", _FLOAT8_OID: ">f8"}


def row_dtype(*fields: tuple[str, str]) -> np.dtype:
    """The dtype of one binary COPY row of fixed-width, NOT NULL `fields`
    (name, big-endian numpy type), e.g. ("ts", ">i8")."""
    parts = [("n_fields", ">i2")]
    for name, kind in fields:
        parts += [(f"len_{name}", ">i4"), (name, kind)]
    return np.dtype(parts)


def copy_out(cursor, query: str, dtype: np.dtype) -> np.ndarray:
    """Run `COPY (query) TO STDOUT` in binary and read its rows as `dtype`."""
    out = io.BytesIO()
    cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT binary)", out)
    data = out.getvalue()
    if len(data) <= len(HEADER) + len(TRAILER):
        return np.empty(0, dtype=dtype)
    return np.frombuffer(
        data, dtype=dtype, offset=len(HEADER), count=(len(data) - len(HEADER) - 2) // dtype.itemsize
    )


def timestamps_us(pg_us: np.ndarray) -> np.ndarray:
    """Binary COPY timestamps as microseconds since the Unix epoch."""
    return pg_us.astype(np.int64) + PG_EPOCH_US


_CHUNK_HEAD = row_dtype(("series_id", ">i8"), ("first_ts", ">i8"), ("last_ts", ">i8"), ("n", ">i4"))
_FIELD8 = np.dtype([("len", ">i4"), ("value", ">i8")])  # one bigint field with its length word
_NULL = np.array([-1], dtype=">i4").tobytes()  # a NULL field: length -1, no bytes
_ARRAY_HEAD = np.dtype(
    [("len", ">i4"), ("ndim", ">i4"), ("flags", ">i4"), ("oid", ">i4"), ("dim", ">i4"), ("lbound", ">i4")]
)


def chunk_rows(chunks: Iterable[tuple[int, np.ndarray, np.ndarray]]) -> bytes:
    """A binary COPY of ingestion_chunk rows (series_id, first_ts, last_ts, n,
    step_us, ts_deltas, vals), from (series id, ts µs sorted, values) of each
    chunk. A chunk whose points are evenly spaced is stored as its step alone."""
    parts = [HEADER]
    for series_id, ts_us, values in chunks:
        head = np.zeros(1, dtype=_CHUNK_HEAD)
        head["n_fields"] = 7
        head["len_series_id"] = head["len_first_ts"] = head["len_last_ts"] = 8
        head["len_n"] = 4
        head["series_id"], head["n"] = series_id, len(ts_us)
        head["first_ts"], head["last_ts"] = ts_us[0] - PG_EPOCH_US, ts_us[-1] - PG_EPOCH_US
        steps = np.diff(ts_us)
        first_step = steps[0] if len(steps) else 0
        if (steps == first_step).all():
            step, deltas = _step(first_step), np.empty(0, dtype=np.int64)
        else:
            step, deltas = _NULL, np.r_[0, steps]
        parts += [head.tobytes(), step, _array(deltas, _INT8_OID), _array(values, _FLOAT8_OID)]
    parts.append(TRAILER)
    return b"".join(parts)


def _step(step_us: int) -> bytes:
    return np.array([(8, step_us)], dtype=_FIELD8).tobytes()


def _array(values: np.ndarray, oid: int) -> bytes:
    """One one-dimensional array field, with its length word, without NULLs."""
    if not len(values):
        return np.array([12, 0, 0, oid], dtype=">i4").tobytes()  # PostgreSQL's empty array: no dimensions
    elements = np.empty(len(values), dtype=[("len", ">i4"), ("v", _ARRAY_ELEMENT[oid])])
    elements["len"] = 8
    elements["v"] = values
    head = np.zeros(1, dtype=_ARRAY_HEAD)
    head["len"] = 20 + elements.nbytes
    head["ndim"], head["oid"], head["dim"], head["lbound"] = 1, oid, len(values), 1
    return head.tobytes() + elements.tobytes()


def chunk_points(data: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(series id, ts µs since the Unix epoch, value) of every point of a
    binary COPY of chunk rows `(series_id, first_ts, step_us, ts_deltas,
    vals)`: the inverse of `chunk_rows`, what SQL's tsmon_chunk_points gives,
    decoded here in numpy (tests hold the two equal)."""
    ids, times, values = [], [], []
    pos = len(HEADER)
    while struct.unpack_from(">h", data, pos)[0] != -1:
        series_id, first_pg, step_len = struct.unpack_from(">4xq4xqi", data, pos + 2)
        pos += 30
        step = None
        if step_len != -1:
            (step,) = struct.unpack_from(">q", data, pos)
            pos += 8
        deltas, pos = _array_field(data, pos, ">i8")
        vals, pos = _array_field(data, pos, ">f8")
        offsets = step * np.arange(len(vals), dtype=np.int64) if step is not None else np.cumsum(deltas)
        ids.append(np.full(len(vals), series_id, dtype=np.int64))
        times.append(first_pg + PG_EPOCH_US + offsets)
        values.append(vals)
    if not ids:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
    return np.concatenate(ids), np.concatenate(times), np.concatenate(values)


def _array_field(data: bytes, pos: int, kind: str) -> tuple[np.ndarray, int]:
    """One one-dimensional array field without NULLs at `pos`, and where the next field starts."""
    length, ndim = struct.unpack_from(">ii", data, pos)
    end = pos + 4 + length
    if ndim == 0:
        return np.empty(0, dtype=kind), end
    (n,) = struct.unpack_from(">i", data, pos + 16)
    elements = np.ndarray((n,), dtype=[("len", ">i4"), ("v", kind)], buffer=data, offset=pos + 24)
    return elements["v"].astype(kind[1:]), end
