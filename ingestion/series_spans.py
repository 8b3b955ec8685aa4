"""Series spans (each series' first and last point time), kept in memory per
process and written to the series rows rarely.

Moving a series row is a locking UPDATE; at 60 s between an agent's points
every batch of 1,000 series moved 1,000 rows, which cost more than the
batch's COPY. So each process remembers what it last wrote to each row,
collects how batches widen the spans, and writes them (one UPDATE, rows
locked in id order) only when:

- a series is new to this process, or a batch reaches before its stored
  first point: at once, so `first_ts` is always exact (detection starts
  there);
- a span's last point grew past the stored one by more than
  LAST_TS_RESOLUTION_US and TSMON_SERIES_SPAN_FLUSH_SECONDS have passed
  since this process last wrote spans (every widened span is written then,
  not only the batch's);
- a pending last point is more than MAX_PENDING_US past the stored one:
  at once, whatever the time since the last write.

A pending span's row that another writer holds locked is skipped (SKIP
LOCKED) and stays pending for the next write: that writer is moving the
row already, and waiting for its commit made the batches queue one behind
the other.

What readers may see stale, and for how long: `last_ts` lags a series'
newest point by up to LAST_TS_RESOLUTION_US (60 s) as before, plus what the
process that took its points received in the last
TSMON_SERIES_SPAN_FLUSH_SECONDS (5 s) of wall-clock time, written with that
process's next write. A process that then receives no write at all keeps
its pending spans unwritten: at the usual pace (points sent as they
happen) the last TSMON_SERIES_SPAN_FLUSH_SECONDS of its points, and never
more than MAX_PENDING_US (an hour of data, after a client's catch-up)
past the stored last point. `first_ts` is never stale. Reads that need
the exact newest point ask the points table, as they did.

Writers that are not long-lived (commands, jobs) write spans as before, at
every batch that widens them past the resolution (`lazy=False`).

A series deleted while its span is pending is not brought back: the
UPDATE only finds rows that exist, ids are never reused, and a deleted
series' pending span is dropped when the flush finds no row for it.
"""

from __future__ import annotations

import threading
import time
from typing import NamedTuple

import numpy as np
from django.conf import settings

LAST_TS_RESOLUTION_US = 60_000_000
# In data time, which runs far ahead of the clock only when a client catches
# up on a backlog: there a smaller bound wrote the rows every batch or two.
MAX_PENDING_US = 60 * LAST_TS_RESOLUTION_US

Span = tuple[int, int]  # first and last point, µs since the epoch


class SpanRow(NamedTuple):
    series_id: int
    first_us: int
    last_us: int
    # Whether the row must be written now (a new or earlier first point, or
    # an eager writer): it waits for the row's lock. The others skip a row
    # another writer has locked and stay pending: waiting there queued every
    # batch behind the others' commits.
    must: bool


class SpanPlan(NamedTuple):
    """What one batch does to the spans: the rows to write in its
    transaction, or the widened spans to keep pending once it commits."""

    rows: list[SpanRow]
    widened: dict[int, Span]


class SpanBook:
    """The spans this process stored and the widened ones it has not yet.

    Shared by a worker's threads: each batch plans from a snapshot and
    merges its outcome back under a lock held only for that, never across
    a database call.
    """

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        """Forget everything: each series' next batch writes its span again."""
        with self._lock:
            self._stored: dict[int, Span] = {}
            self._pending: dict[int, Span] = {}
            self._last_write = self._clock()

    def plan(self, series_ids: np.ndarray, ts_us: np.ndarray, lazy: bool) -> SpanPlan:
        """How one batch widens the spans; changes nothing until `committed`."""
        with self._lock:
            stored, pending = dict(self._stored), dict(self._pending)
        urgent = not lazy or self._due()
        widened, must = {}, set()
        for series_id, first, last in zip(*_batch_spans(series_ids, ts_us), strict=True):
            span = _union(pending.get(series_id), (first, last))
            known = stored.get(series_id)
            if known is not None and span[0] >= known[0] and span[1] <= known[1] + LAST_TS_RESOLUTION_US:
                continue  # the stored span covers the batch to within the resolution
            widened[series_id] = span
            if not lazy or known is None or span[0] < known[0]:
                must.add(series_id)
            urgent = urgent or series_id in must or span[1] > known[1] + MAX_PENDING_US
        if not urgent or not (widened or pending):
            return SpanPlan([], widened)
        pending.update(widened)
        return SpanPlan([SpanRow(i, *span, i in must) for i, span in sorted(pending.items())], {})

    def committed(self, plan: SpanPlan, written: set[int], busy: set[int]) -> None:
        """Take in a plan whose transaction committed: `written` are the ids
        of the rows it wrote, `busy` those another writer had locked (still
        pending); the others were deleted, and are forgotten."""
        with self._lock:
            for row in plan.rows:
                span = (row.first_us, row.last_us)
                if row.series_id in busy:
                    self._pending[row.series_id] = _union(self._pending.get(row.series_id), span)
                    continue
                if row.series_id in written:
                    self._stored[row.series_id] = _union(self._stored.get(row.series_id), span)
                if _union(self._pending.get(row.series_id), span) == span:
                    self._pending.pop(row.series_id, None)  # unless another batch widened it since
            for series_id, span in plan.widened.items():
                self._pending[series_id] = _union(self._pending.get(series_id), span)
            if plan.rows:
                self._last_write = self._clock()
            if len(self._stored) > _MAX_ENTRIES:
                self._stored.clear()  # rare: a process seeing this many series writes their spans again

    def _due(self) -> bool:
        return self._clock() - self._last_write >= settings.TSMON_SERIES_SPAN_FLUSH_SECONDS


_MAX_ENTRIES = 200_000


def _union(a: Span | None, b: Span) -> Span:
    return b if a is None else (min(a[0], b[0]), max(a[1], b[1]))


def _batch_spans(series_ids: np.ndarray, ts_us: np.ndarray) -> tuple[list[int], list[int], list[int]]:
    """Each series of the batch with its first and last point."""
    order = np.argsort(series_ids, kind="stable")
    ids, starts = np.unique(series_ids[order], return_index=True)
    first = np.minimum.reduceat(ts_us[order], starts)
    last = np.maximum.reduceat(ts_us[order], starts)
    return ids.tolist(), first.tolist(), last.tolist()
