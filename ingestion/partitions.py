"""Daily partitions of the chunks table: created ahead, dropped by retention.

A day per partition (by each chunk's first point; a chunk never spans two
days) keeps retention exact to the day; queries over a few days touch a few
partitions only.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable

from django.db import OperationalError, connection, transaction

logger = logging.getLogger(__name__)

PARENT = "ingestion_chunk"
_NAME = re.compile(r"^ingestion_chunk_p(\d{8})$")
# One advisory lock id for "changing the partitions of ingestion_chunk", so
# two compactions that both need tomorrow's partition do not race to create it.
_LOCK_ID = 0x7453_6D6F_6E01

# Creating or dropping a partition needs an ACCESS EXCLUSIVE lock on the
# parent; while it waits (for a pg_dump, a long query), every read queues
# behind it. So a change waits this long at most, then gives up: compaction
# and maintenance try again at their next run (writers never wait for it:
# they write to the landing table).
LOCK_TIMEOUT = "3s"

_known_days: set[dt.date] = set()


def partition_name(day: dt.date) -> str:
    return f"{PARENT}_p{day:%Y%m%d}"


def existing_days() -> set[dt.date]:
    """Return the days that have a partition, read from the catalogue."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT child.relname FROM pg_inherits
            JOIN pg_class parent ON parent.oid = pg_inherits.inhparent
            JOIN pg_class child ON child.oid = pg_inherits.inhrelid
            WHERE parent.relname = %s
            """,
            [PARENT],
        )
        names = [row[0] for row in cursor.fetchall()]
    return {
        dt.datetime.strptime(match.group(1), "%Y%m%d").date()
        for name in names
        if (match := _NAME.match(name))
    }


def ensure_partitions(days: Iterable[dt.date]) -> list[dt.date]:
    """Create the partitions of `days` that do not exist; return those created.

    Runs in its own short transaction (call it outside a compaction's),
    so a new partition's lock is not held while chunks are written.
    """
    wanted = set(days) - _known_days
    if not wanted:
        return []
    created = []
    with transaction.atomic():
        _lock_for_changes()
        present = existing_days()
        for day in sorted(wanted - present):
            _create_partition(day)
            created.append(day)
    _known_days.update(wanted | present)
    if created:
        logger.info("created point partitions for %s", ", ".join(map(str, created)))
    return created


def _lock_for_changes() -> None:
    """Take the advisory lock and bound the wait for table locks, for this transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [LOCK_TIMEOUT])
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_ID])


def _create_partition(day: dt.date) -> None:
    start = dt.datetime.combine(day, dt.time(), dt.UTC)
    end = start + dt.timedelta(days=1)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {partition_name(day)} PARTITION OF {PARENT} FOR VALUES FROM (%s) TO (%s)",
            [start, end],
        )


def forget_known() -> None:
    """Drop the in-process cache (after partitions changed elsewhere)."""
    _known_days.clear()


def maintain_partitions(now: dt.datetime, retention_days: int, ahead_days: int) -> tuple[list, list]:
    """Create partitions up to `ahead_days` after `now` and drop those wholly
    older than `retention_days`; return (created days, dropped days).

    A change blocked for longer than LOCK_TIMEOUT is skipped with a warning
    and done by a later run (partitions exist `ahead_days` in advance).
    """
    today = now.astimezone(dt.UTC).date()
    try:
        created = ensure_partitions(today + dt.timedelta(days=n) for n in range(ahead_days + 1))
    except OperationalError as exc:
        logger.warning("partition creation postponed: %s", exc)
        created = []
    # A partition for day D holds [D, D+1); it is past retention when D+1 is.
    cutoff = today - dt.timedelta(days=retention_days)
    dropped = [day for day in sorted(existing_days()) if day < cutoff and _drop_partition(day)]
    forget_known()
    if dropped:
        logger.info("dropped point partitions for %s", ", ".join(map(str, dropped)))
    return created, dropped


def _drop_partition(day: dt.date) -> bool:
    """Drop one day's partition in its own transaction; False if it was blocked."""
    try:
        with transaction.atomic():
            _lock_for_changes()
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {partition_name(day)}")
    except OperationalError as exc:
        logger.warning("dropping the partition of %s postponed: %s", day, exc)
        return False
    return True
