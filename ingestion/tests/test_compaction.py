"""Compaction of landing rows into chunks: what is read back never changes."""

import datetime as dt

import numpy as np
import psycopg2
import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingestion.compaction import COMPACTION_LOCK, MAX_CHUNK_POINTS, compact
from ingestion.models import Series
from ingestion.queries import read_series_frame
from ingestion.series_deletion import delete_series
from ingestion.writer import write_samples
from tsmon.testing import forget_write_caches, make_samples

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 11, 19, 20, 0, tzinfo=dt.UTC)
EVERYTHING = (dt.datetime(2000, 1, 1, tzinfo=dt.UTC), dt.datetime(2100, 1, 1, tzinfo=dt.UTC))


@pytest.fixture(autouse=True)
def _fresh_caches():
    forget_write_caches()


def write(host, start, n, step, values):
    return write_samples(make_samples("cpu", {"host": host}, start, n, step, values))


def stored(host="a") -> dict:
    series = Series.objects.get(metric="cpu", labels__host=host)
    frame = read_series_frame(series.pk, *EVERYTHING)
    return dict(zip(frame.index, frame.to_numpy(), strict=True))


def chunks() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT series_id, first_ts, last_ts, n FROM ingestion_chunk ORDER BY series_id, first_ts"
        )
        return cursor.fetchall()


def landing_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM ingestion_landing")
        return cursor.fetchone()[0]


def assert_chunks_well_formed():
    rows = chunks()
    for (sid, first, last, n), following in zip(rows, [*rows[1:], None], strict=False):
        assert n <= MAX_CHUNK_POINTS and first <= last
        assert first.astimezone(dt.UTC).date() == last.astimezone(dt.UTC).date()  # one day each
        if following and following[0] == sid:
            assert last < following[1]  # chunks of a series do not overlap


def test_compaction_moves_every_point_into_chunks_and_reads_the_same():
    values = np.round(np.random.default_rng(1).normal(50, 10, 3000), 2)
    write("a", START, 3000, 10, values)
    before = stored()

    result = compact()

    assert result.landing_rows == result.points == 3000
    assert landing_rows() == 0
    assert stored() == before and list(before.values()) == list(values)
    assert sum(row[3] for row in chunks()) == 3000
    assert_chunks_well_formed()


def test_a_point_sent_again_keeps_its_first_value_before_and_after_compaction():
    write("a", START, 10, 60, [1.0] * 10)
    write("a", START, 10, 60, [2.0] * 10)  # landing holds both
    assert set(stored().values()) == {1.0}
    compact()
    write("a", START, 10, 60, [3.0] * 10)  # a chunk and landing hold it

    assert set(stored().values()) == {1.0}
    compact()
    assert set(stored().values()) == {1.0} and len(stored()) == 10


def test_repeats_within_one_batch_keep_the_first():
    samples = make_samples("cpu", {"host": "a"}, START, 3, 60, [1.0, 2.0, 3.0])
    repeat = make_samples("cpu", {"host": "a"}, START, 3, 60, [9.0, 9.0, 9.0])

    result = write_samples(samples + repeat)

    assert (result.written, result.duplicates) == (3, 3)
    assert list(stored().values()) == [1.0, 2.0, 3.0]


def test_late_points_join_the_chunk_that_holds_their_time():
    morning = START.replace(hour=8)
    write("a", morning, 600, 60, np.arange(600.0))
    compact()
    late = make_samples("cpu", {"host": "a"}, morning + dt.timedelta(seconds=30), 5, 3600, [-1.0] * 5)
    write_samples(late)
    compact()

    points = stored()
    assert len(points) == 605 and sum(v == -1.0 for v in points.values()) == 5
    assert len(chunks()) == 1  # the late points went into the one chunk, no new one
    assert_chunks_well_formed()


def test_chunks_end_at_the_day_and_at_the_size_limit():
    write("a", START, 2 * MAX_CHUNK_POINTS + 500, 30, np.arange(2500.0))  # 20:50 of a day, over midnight
    compact()

    assert_chunks_well_formed()
    days = {row[1].astimezone(dt.UTC).date() for row in chunks()}
    assert days == {dt.date(2026, 11, 19), dt.date(2026, 11, 20)}
    assert len(stored()) == 2500


def test_deleting_a_series_removes_its_chunks_and_landing_rows():
    write("a", START, 100, 60, np.arange(100.0))
    compact()
    write("a", START + dt.timedelta(hours=5), 10, 60, np.arange(10.0))
    series = Series.objects.get(labels__host="a")

    assert delete_series([series.pk]) == 110
    assert chunks() == [] and landing_rows() == 0


def test_a_second_compaction_while_one_runs_does_nothing():
    write("a", START, 10, 60, np.arange(10.0))
    other = psycopg2.connect(**connection.get_connection_params())  # another session holds the lock
    try:
        other.cursor().execute("SELECT pg_advisory_lock(%s)", [COMPACTION_LOCK])
        assert compact().busy
    finally:
        other.close()
    assert landing_rows() == 10


# A write is a list of (host, minute, value); between writes, maybe a compaction.
_write = st.lists(
    st.tuples(st.sampled_from("ab"), st.integers(0, 3 * 24 * 60), st.integers(-5, 5).map(float)),
    min_size=1,
    max_size=40,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(st.tuples(_write, st.booleans()), min_size=1, max_size=6),
    slice_rows=st.sampled_from([1, 7, 1000]),
)
def test_any_writes_and_compactions_read_back_the_first_value_of_every_point(steps, slice_rows):
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE ingestion_landing, ingestion_chunk")
    forget_write_caches()
    expected: dict = {}
    for points, then_compact in steps:
        samples = []
        for host, minute, value in points:
            samples += make_samples(
                "cpu", {"host": host}, START + dt.timedelta(minutes=minute), 1, 60, [value]
            )
            expected.setdefault((host, START + dt.timedelta(minutes=minute)), value)
        write_samples(samples)
        if then_compact:
            compact(slice_rows=slice_rows)
        for host in "ab":
            if Series.objects.filter(metric="cpu", labels__host=host).exists():
                assert stored(host) == {ts: v for (h, ts), v in expected.items() if h == host}
    assert_chunks_well_formed()


def landing_pages() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_relation_size('ingestion_landing') / current_setting('block_size')::int")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_an_emptied_landing_table_gives_its_space_back_unless_someone_holds_it():
    # Reads scan landing whole: an emptied heap of a burst would cost every read.
    write("a", START, 20_000, 10, np.arange(20_000.0))
    assert landing_pages() > 0
    compact()
    assert landing_pages() == 0  # truncated

    write("a", START + dt.timedelta(days=3), 20_000, 10, np.arange(20_000.0))
    reader = psycopg2.connect(**connection.get_connection_params())
    try:
        reader.cursor().execute("SELECT count(*) FROM ingestion_landing")  # holds ACCESS SHARE till rollback
        compact()  # cannot truncate: vacuums instead, and waits for no one
    finally:
        reader.close()
    assert landing_rows() == 0 and landing_pages() > 0
    assert len(stored()) == 40_000


def test_the_latest_point_is_the_chunks_where_landing_holds_it_again():
    write("a", START, 10, 60, np.arange(10.0))
    compact()
    series = Series.objects.get(labels__host="a")
    with connection.cursor() as cursor:  # the last point landed again, as a write the writer did not catch
        cursor.execute(
            "INSERT INTO ingestion_landing VALUES (%s, %s, 99, nextval('ingestion_landing_batch'))",
            [series.pk, START + dt.timedelta(minutes=9)],
        )
        cursor.execute(
            "SELECT ts, value FROM tsmon_latest_points(ARRAY[%s]::bigint[], '-infinity', 'infinity')",
            [series.pk],
        )
        assert cursor.fetchall() == [(START + dt.timedelta(minutes=9), 9.0)]
        cursor.execute(
            "SELECT ts, value FROM tsmon_latest_points(ARRAY[%s]::bigint[], '-infinity', %s)",
            [series.pk, START + dt.timedelta(minutes=5)],
        )
        assert cursor.fetchall() == [(START + dt.timedelta(minutes=4), 4.0)]  # the window's end excluded
