"""Day partitions: created ahead, dropped by retention, and never a reason
for writes to queue behind a lock that maintenance cannot get."""

import datetime as dt
import threading

import psycopg2
import pytest
from django.db import connection

from ingestion import partitions
from ingestion.compaction import compact
from ingestion.writer import write_samples
from tsmon.testing import make_samples, stored_point_count

pytestmark = pytest.mark.django_db(transaction=True)

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def fresh_cache():
    partitions.forget_known()


def test_it_creates_days_ahead_and_drops_days_past_retention_with_their_points():
    write_samples(make_samples(start=NOW - dt.timedelta(days=40), n_points=3))
    write_samples(make_samples(start=NOW - dt.timedelta(days=29), n_points=3))
    compact()

    created, dropped = partitions.maintain_partitions(NOW, retention_days=30, ahead_days=2)

    assert dt.date(2026, 11, 23) in created
    assert dropped == [dt.date(2026, 10, 12)]
    days = partitions.existing_days()
    assert dt.date(2026, 10, 12) not in days and dt.date(2026, 10, 23) in days
    assert stored_point_count() == 3  # the 29-day-old points stay


@pytest.fixture
def dump_like_reader(settings):
    """A second session, to hold ACCESS SHARE on the points table as pg_dump does."""
    db = settings.DATABASES["default"]
    reader = psycopg2.connect(
        dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"], host=db["HOST"], port=db["PORT"] or None
    )
    yield reader
    reader.rollback()
    reader.close()


@pytest.mark.timeout(60)
def test_maintenance_blocked_by_a_dump_gives_up_and_writes_go_on(dump_like_reader, monkeypatch, caplog):
    monkeypatch.setattr(partitions, "LOCK_TIMEOUT", "300ms")
    write_samples(make_samples(start=NOW - dt.timedelta(days=40), n_points=3))
    write_samples(make_samples(start=NOW, n_points=3))
    compact()  # today's partition exists
    with dump_like_reader.cursor() as cursor:
        cursor.execute("LOCK TABLE ingestion_chunk IN ACCESS SHARE MODE")

    created, dropped = partitions.maintain_partitions(NOW, retention_days=30, ahead_days=3)

    assert (created, dropped) == ([], [])
    assert "postponed" in caplog.text
    # Nothing waits for a lock any more: a write to today goes straight in.
    done = threading.Event()

    def write_today():
        write_samples(make_samples(start=NOW + dt.timedelta(hours=1), n_points=3))
        connection.close()
        done.set()

    threading.Thread(target=write_today, daemon=True).start()
    assert done.wait(10), "a write queued behind partition maintenance"

    dump_like_reader.rollback()  # the dump ends; the next run catches up
    created, dropped = partitions.maintain_partitions(NOW, retention_days=30, ahead_days=3)
    assert dt.date(2026, 11, 24) in created and dropped == [dt.date(2026, 10, 12)]
