import datetime as dt
import threading

import pytest
from django.db import connection

from ingestion import partitions
from ingestion.compaction import compact
from ingestion.models import Series, Source
from ingestion.queries import read_series_frame
from ingestion.samples import Sample
from ingestion.writer import write_samples
from tsmon.testing import ALL_POINTS, POINT_TABLES, forget_write_caches, make_samples, stored_point_count

pytestmark = pytest.mark.django_db(transaction=True)

START = dt.datetime(2026, 11, 20, 23, 58, tzinfo=dt.UTC)
EVERYTHING = (dt.datetime(2000, 1, 1, tzinfo=dt.UTC), dt.datetime(2100, 1, 1, tzinfo=dt.UTC))


@pytest.fixture(autouse=True)
def fresh_caches():
    forget_write_caches()
    yield


def stored_values(series_key):
    series = Series.objects.get(key=series_key)
    return read_series_frame(series.pk, *EVERYTHING).tolist()


def test_it_stores_every_point_and_creates_the_series_once():
    result = write_samples(make_samples(start=START, values=[1, 2, 3, 4, 5, 6]))

    assert result.written == 6 and result.duplicates == 0 and result.series_created == 1
    assert stored_values('cpu_used_percent{host="web-1"}') == [1, 2, 3, 4, 5, 6]
    series = Series.objects.get()
    assert series.labels == {"host": "web-1"}
    assert series.source == Source.objects.get(name="web-1")
    assert series.first_ts == START
    assert series.last_ts == START + dt.timedelta(minutes=5)


def test_compaction_creates_a_partition_for_each_day_the_batch_spans():
    write_samples(make_samples(start=START))
    compact()

    assert {dt.date(2026, 11, 20), dt.date(2026, 11, 21)} <= partitions.existing_days()


def test_a_resent_batch_stores_nothing_twice_and_keeps_the_first_values():
    write_samples(make_samples(start=START, values=[1, 2, 3, 4, 5, 6]))
    overlapping = make_samples(start=START + dt.timedelta(minutes=3), values=[40, 50, 60, 70, 80, 90])

    result = write_samples(overlapping)

    assert result.written == 3 and result.duplicates == 3 and result.series_created == 0
    assert stored_values('cpu_used_percent{host="web-1"}') == [1, 2, 3, 4, 5, 6, 70, 80, 90]


def test_a_point_repeated_inside_one_batch_is_stored_once():
    batch = make_samples(start=START, n_points=3)
    result = write_samples(batch + batch[:1])

    assert result.written == 3 and result.duplicates == 1
    assert stored_point_count() == 3


def test_series_with_the_same_labels_in_another_order_are_one_series():
    first = make_samples(labels={"host": "a", "mount": "/"}, start=START, n_points=1)
    again = make_samples(
        labels={"mount": "/", "host": "a"}, start=START + dt.timedelta(minutes=1), n_points=1
    )
    write_samples(first + again)

    assert Series.objects.count() == 1


def test_new_series_past_the_limit_are_refused_and_the_rest_is_written(settings):
    settings.TSMON_MAX_SERIES_PER_SOURCE = 2
    write_samples(make_samples(metric="m0", start=START, n_points=1))
    batch = [
        Sample(f"m{i}", (("host", "web-1"),), s.ts_us, s.value, line=10 * i + s.line)
        for i in range(4)
        for s in make_samples(metric=f"m{i}", start=START + dt.timedelta(minutes=1), n_points=2)
    ]

    result = write_samples(batch)

    assert Series.objects.count() == 2  # m0 existed, m1 fits, m2 and m3 do not
    assert result.written == 4 and result.series_created == 1
    assert [e.line for e in result.refused] == [21, 22, 31, 32]
    assert "limit of 2 series" in result.refused[0].reason and "m2" in result.refused[0].reason


def test_a_line_with_one_refused_series_is_refused_whole(settings):
    settings.TSMON_MAX_SERIES_PER_SOURCE = 1
    write_samples(make_samples(metric="cpu_user", start=START, n_points=1))
    labels = (("host", "web-1"),)
    ts = make_samples(start=START + dt.timedelta(minutes=1), n_points=1)[0].ts_us
    # One line-protocol line with two fields: an existing series and a new one.
    line = [Sample("cpu_user", labels, ts, 1.0, 1), Sample("cpu_system", labels, ts, 2.0, 1)]

    result = write_samples(line)

    assert result.written == 0 and [e.line for e in result.refused] == [1]
    assert stored_point_count() == 1


def test_counters_and_units_are_guessed_from_prometheus_names():
    write_samples(make_samples(metric="net_sent_bytes_total", start=START, n_points=1))

    series = Series.objects.get()
    assert series.kind == "counter" and series.unit == "bytes"


def test_concurrent_writers_of_the_same_new_series_lose_and_double_nothing():
    batches = [make_samples(metric=f"load_{i % 5}", start=START, n_points=50) for i in range(8)]
    errors = []

    def write(batch):
        try:
            write_samples(batch)
        except Exception as exc:  # surfaced below; a thread cannot fail the test itself
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(b,)) for b in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert Series.objects.count() == 5
    assert stored_point_count() == 5 * 50


def test_last_ts_follows_within_a_minute_and_first_ts_exactly():
    write_samples(make_samples(start=START, n_points=1))
    write_samples(make_samples(start=START + dt.timedelta(seconds=30), n_points=1))
    assert Series.objects.get().last_ts == START  # 30 s later: within the resolution, row untouched

    write_samples(make_samples(start=START + dt.timedelta(minutes=2), n_points=1))
    write_samples(make_samples(start=START - dt.timedelta(minutes=10), n_points=1))
    series = Series.objects.get()
    assert series.last_ts == START + dt.timedelta(minutes=2)
    assert series.first_ts == START - dt.timedelta(minutes=10)


def test_a_series_deleted_while_cached_is_created_again_and_no_point_is_orphaned():
    write_samples(make_samples(start=START, n_points=2))
    Series.objects.all().delete()  # as another process would, behind this one's cache
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {POINT_TABLES}")

    result = write_samples(make_samples(start=START + dt.timedelta(minutes=5), n_points=2))

    assert result.written == 2 and result.series_created == 1
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT series_id FROM {ALL_POINTS}")
        assert [row[0] for row in cursor.fetchall()] == [Series.objects.get().pk]
