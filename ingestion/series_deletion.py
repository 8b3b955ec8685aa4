"""Deleting series with their points, without racing the writers.

The writer copies a batch's points, checks that the batch's series (ids it
may have cached) still exist, and commits. A deletion committing between
that check and the commit would leave acknowledged points under an id that
no series has any more. So a write transaction holds a shared advisory lock
from its check to its commit, and a deletion holds the exclusive one:

- a deletion that comes second waits for the writes in flight, then its
  DELETE sees their points and removes them with the series;
- compaction (ingestion.compaction) holds the same shared lock while it
  rewrites chunks, so a deletion never misses a chunk being written;
- a write that comes second waits for the deletion, then its check finds
  the series gone: it undoes its copy and writes again under a new series.

One lock for all series: deletions are rare admin actions, and holding one
lock costs a batch nothing measurable, where a lock per series would put
thousands in PostgreSQL's lock table for every batch.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction

# Advisory lock id of "points may be written for existing series".
SERIES_WRITE_LOCK = 0x7453_6D6F_6E02

HOLD_AGAINST_DELETION_SQL = f"SELECT pg_advisory_xact_lock_shared({SERIES_WRITE_LOCK})"


def delete_series(series_ids: Iterable[int]) -> int:
    """Delete these series, their points and what refers to them; return the points deleted."""
    from ingestion.models import Series

    ids = sorted({int(i) for i in series_ids})
    if not ids:
        return 0
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SERIES_WRITE_LOCK])
            cursor.execute("SELECT count(*) FROM tsmon_series_points(%s, '-infinity', 'infinity')", [ids])
            deleted_points = cursor.fetchone()[0]
            cursor.execute("DELETE FROM ingestion_chunk WHERE series_id = ANY(%s)", [ids])
            cursor.execute("DELETE FROM ingestion_landing WHERE series_id = ANY(%s)", [ids])
        Series.objects.filter(pk__in=ids).delete()
    return deleted_points
