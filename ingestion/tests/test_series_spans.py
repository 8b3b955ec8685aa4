"""Series spans written lazily by the web workers (ingestion.series_spans).

A lazy write (what the HTTP endpoints do) writes a new series' span and an
earlier first point at once, and a later last point only every
TSMON_SERIES_SPAN_FLUSH_SECONDS (or when it runs MAX_PENDING_US ahead);
a series deleted meanwhile is not brought back by its pending span.
"""

from __future__ import annotations

import datetime as dt

import psycopg2
import pytest
from django.db import connection

from ingestion.models import Series
from ingestion.series_deletion import delete_series
from ingestion.series_spans import MAX_PENDING_US
from ingestion.writer import write_samples
from tsmon.testing import forget_write_caches, make_samples

from .write_helpers import client_with_key

pytestmark = pytest.mark.django_db(transaction=True)

START = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=1)
MINUTE = dt.timedelta(minutes=1)


@pytest.fixture(autouse=True)
def fresh_caches():
    forget_write_caches()
    yield


@pytest.fixture
def never_due(settings):
    settings.TSMON_SERIES_SPAN_FLUSH_SECONDS = 3600


def lazily(start, metric="cpu_used_percent", n_points=1):
    return write_samples(make_samples(metric=metric, start=start, n_points=n_points), lazy_spans=True)


def span(metric="cpu_used_percent"):
    series = Series.objects.get(metric=metric)
    return series.first_ts, series.last_ts


def test_a_new_series_gets_its_span_at_once(never_due):
    lazily(START, n_points=3)

    assert span() == (START, START + 2 * MINUTE)


def test_a_later_last_point_waits_for_the_flush_interval(never_due, settings):
    lazily(START)
    lazily(START + 5 * MINUTE)
    assert span() == (START, START)  # pending: past the resolution, but not due

    settings.TSMON_SERIES_SPAN_FLUSH_SECONDS = 0
    lazily(START, metric="mem_used_percent")  # any write of this process writes what is due

    assert span() == (START, START + 5 * MINUTE)


def test_an_earlier_first_point_is_written_at_once(never_due):
    lazily(START)
    lazily(START - 10 * MINUTE)

    assert span() == (START - 10 * MINUTE, START)


def test_a_last_point_far_ahead_is_written_at_once(never_due):
    lazily(START)
    far = START + dt.timedelta(microseconds=MAX_PENDING_US) + MINUTE
    lazily(far)

    assert span() == (START, far)


def test_a_series_deleted_while_its_span_is_pending_stays_deleted(never_due, settings):
    lazily(START)
    lazily(START + 5 * MINUTE)  # pending
    delete_series(Series.objects.filter(metric="cpu_used_percent").values_list("pk", flat=True))

    settings.TSMON_SERIES_SPAN_FLUSH_SECONDS = 0
    lazily(START, metric="mem_used_percent")  # writes the pending span: it finds no row
    assert not Series.objects.filter(metric="cpu_used_percent").exists()

    lazily(START + 20 * MINUTE)  # the same key again: a new series, with only its own span
    assert span() == (START + 20 * MINUTE, START + 20 * MINUTE)


def test_eager_writes_widen_the_span_with_the_batch(never_due):
    write_samples(make_samples(start=START, n_points=1))
    write_samples(make_samples(start=START + 5 * MINUTE, n_points=1))

    assert span() == (START, START + 5 * MINUTE)


def test_the_write_endpoints_write_spans_lazily(never_due):
    client = client_with_key()
    seconds = int(START.timestamp())
    for offset in (0, 300):
        response = client.post(
            "/api/v2/write?bucket=b&precision=s",
            f"cpu,host=web-1 used_percent=1 {seconds + offset}",
            content_type="text/plain",
        )
        assert response.status_code == 204

    assert span() == (START, START)


def test_a_pending_span_whose_row_another_writer_holds_waits_for_the_next_flush(never_due, settings):
    lazily(START)
    lazily(START + 5 * MINUTE)  # pending
    other = psycopg2.connect(**connection.get_connection_params())
    with other.cursor() as cursor:  # another writer, mid-transaction on the row
        cursor.execute("SELECT id FROM ingestion_series WHERE metric = 'cpu_used_percent' FOR NO KEY UPDATE")
    settings.TSMON_SERIES_SPAN_FLUSH_SECONDS = 0
    lazily(START, metric="mem_used_percent")  # does not wait for the lock: skips the row
    assert span() == (START, START)

    other.rollback()
    other.close()
    lazily(START, metric="mem_used_percent")

    assert span() == (START, START + 5 * MINUTE)
