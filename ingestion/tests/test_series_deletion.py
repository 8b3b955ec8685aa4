"""Deleting series while writers write: no acknowledged point is left without its series.

The probe that found this deleted series through the API while writers
sent points for them, and found points under deleted ids, each batch
acknowledged. The first test builds the losing order on purpose: a write
that has copied its points and checked its series, and a deletion that
commits before the write does.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

import psycopg2
import pytest
from django.db import connection

from core.scopes import ApiScope
from ingestion.models import Series
from ingestion.series_deletion import SERIES_WRITE_LOCK, delete_series
from ingestion.writer import ConcurrentChange, write_samples
from tsmon.testing import ALL_POINTS, forget_write_caches, make_samples

from .write_helpers import client_with_key

pytestmark = pytest.mark.django_db(transaction=True)

START = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def fresh_caches():
    forget_write_caches()
    yield


def orphan_points() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM ingestion_landing p"
            "        WHERE NOT EXISTS (SELECT 1 FROM ingestion_series s WHERE s.id = p.series_id))"
            "     + (SELECT count(*) FROM ingestion_chunk p"
            "        WHERE NOT EXISTS (SELECT 1 FROM ingestion_series s WHERE s.id = p.series_id))"
        )
        return cursor.fetchone()[0]


def test_a_deletion_committing_during_a_write_leaves_no_orphan_point():
    write_samples(make_samples(start=START, n_points=1))  # the series exists and is cached
    series_id = Series.objects.get().pk
    deletion = psycopg2.connect(**connection.get_connection_params())
    with deletion.cursor() as cursor:  # the deletion's statements, held open before its commit
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SERIES_WRITE_LOCK])
        cursor.execute("DELETE FROM ingestion_landing WHERE series_id = %s", [series_id])
        cursor.execute("DELETE FROM ingestion_series WHERE id = %s", [series_id])
    outcome = []
    write = threading.Thread(target=write_in_thread, args=(outcome,))
    write.start()
    try:
        wait_until_a_session_waits_for_a_lock(deletion, write, outcome)
    finally:
        deletion.commit()
        deletion.close()
    write.join(timeout=60)

    assert outcome and not isinstance(outcome[0], Exception), outcome
    assert outcome[0].written == 3
    assert orphan_points() == 0
    assert Series.objects.get().pk != series_id  # written again under a new series


def write_in_thread(outcome: list) -> None:
    try:
        outcome.append(write_samples(make_samples(start=START + dt.timedelta(minutes=1), n_points=3)))
    except Exception as exc:  # reported by the test, a thread cannot fail it
        outcome.append(exc)
    finally:
        connection.close()


def wait_until_a_session_waits_for_a_lock(holder, write: threading.Thread, outcome: list) -> None:
    """Wait until the write blocks on what `holder`'s open transaction holds."""
    deadline = time.monotonic() + 60
    with holder.cursor() as cursor:
        while time.monotonic() < deadline and write.is_alive():
            # Inside a transaction the activity view is read once and cached: read it anew.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
        cursor.execute(
            "SELECT state, wait_event_type, wait_event, left(query, 80) FROM pg_stat_activity"
            " WHERE datname = current_database()"
        )
        sessions = cursor.fetchall()
    raise AssertionError(f"the write never waited for the deletion: {outcome}; sessions: {sessions}")


def test_deletes_through_the_api_during_writes_leave_no_orphan_point():
    """Writers and an admin deleting their series at the same time, many times over."""
    admin = client_with_key([ApiScope.ADMIN])
    # The day's partition exists and the API has served once before the race starts.
    write_samples(make_samples(metric="warm_up", start=START))
    assert admin.delete(f"/api/v1/series/{Series.objects.get().pk}").status_code == 204
    stop = threading.Event()
    errors = []

    def keep_writing(worker: int) -> None:
        try:
            for round_ in range(60):
                metrics = [f"deleted_{worker}_{i}" for i in range(5)]
                for metric in metrics:
                    try:
                        write_samples(make_samples(metric=metric, start=START + dt.timedelta(minutes=round_)))
                    except ConcurrentChange:
                        pass  # lost to deletions three times: a 503, nothing written
        except Exception as exc:
            errors.append(exc)
        finally:
            stop.set()
            connection.close()

    writers = [threading.Thread(target=keep_writing, args=(w,)) for w in range(2)]
    for thread in writers:
        thread.start()
    deleted = 0
    while not stop.is_set():
        for series_id in Series.objects.values_list("pk", flat=True)[:3]:
            deleted += admin.delete(f"/api/v1/series/{series_id}").status_code == 204
    for thread in writers:
        thread.join()

    assert errors == []
    assert deleted > 0
    assert orphan_points() == 0


def test_delete_series_takes_the_points_and_nothing_else():
    write_samples(make_samples(metric="gone", start=START) + make_samples(metric="kept", start=START))
    gone = Series.objects.get(metric="gone").pk

    assert delete_series([gone]) == 6

    assert list(Series.objects.values_list("metric", flat=True)) == ["kept"]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {ALL_POINTS}")
        assert cursor.fetchone()[0] == 6
    assert orphan_points() == 0


def test_deleting_a_series_in_the_admin_deletes_its_points(admin_client):
    write_samples(make_samples(metric="gone", start=START))
    series = Series.objects.get()

    response = admin_client.post(f"/admin/ingestion/series/{series.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Series.objects.exists()
    assert orphan_points() == 0
