"""Series ends: Prometheus' staleness markers, kept as `Series.ended_at`.

Prometheus sends a staleness marker (a special NaN) when a series stops:
its target went away, or the series vanished from the target's page. It is
no value, so no point is stored; the series' `ended_at` moves to the
marker's time instead. A series has *ended* when `ended_at` is at or after
its latest point, and runs again with its next point: alert rules read it
so (a no-data rule fires at once, a threshold rule stops seeing the last
value), as Prometheus' own rules do.

Markers only ever touch series that exist (a marker creates none), and a
series deleted meanwhile is simply not updated.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection

from ingestion.models import Series
from ingestion.samples import Sample


def mark_ended(markers: Sequence[Sample]) -> int:
    """Move each marked series' `ended_at` to its latest marker; the number of series moved."""
    latest: dict[str, int] = {}
    for marker in markers:
        # The key the series was stored under: an empty label value is no label.
        key = Series.make_key(marker.metric, tuple((k, v) for k, v in marker.labels if v))
        latest[key] = max(marker.ts_us, latest.get(key, marker.ts_us))
    if not latest:
        return 0
    keys = sorted(latest)
    with connection.cursor() as cursor:
        # One statement, rows locked in id order as the writer locks them, so
        # that a concurrent write of the same series queues instead of deadlocking.
        cursor.execute(
            """
            WITH marked AS (
                SELECT key, timestamptz 'epoch' + ts_us * interval '1 microsecond' AS ts
                FROM unnest(%s::text[], %s::bigint[]) AS u(key, ts_us)
            ), locked AS (
                SELECT s.id, m.ts FROM ingestion_series s JOIN marked m USING (key)
                WHERE s.ended_at IS NULL OR s.ended_at < m.ts
                ORDER BY s.id FOR NO KEY UPDATE OF s
            )
            UPDATE ingestion_series s SET ended_at = locked.ts FROM locked WHERE s.id = locked.id
            """,
            [keys, [latest[k] for k in keys]],
        )
        return cursor.rowcount
