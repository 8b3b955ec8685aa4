"""Downsampling in numpy (ingestion.buckets) gives what date_bin and the SQL
aggregates give over the read function, for points in chunks and in landing,
however the reads are cut."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from django.db import connection

from ingestion import buckets, queries
from ingestion.compaction import compact
from ingestion.models import Series
from ingestion.writer import write_samples
from tsmon.testing import make_samples

SQL = {
    "mean": "avg(value)",
    "min": "min(value)",
    "max": "max(value)",
    "sum": "sum(value)",
    "count": "count(*)::float8",
    "last": "(array_agg(value ORDER BY ts DESC))[1]",
    "stddev": "stddev_samp(value)",
    "variance": "var_samp(value)",
}
START = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)


@pytest.mark.parametrize("agg", buckets.AGGREGATES)
def test_each_aggregate_is_a_groupby_over_the_buckets_of_date_bin(agg):
    rng = np.random.default_rng(7)
    n = 3000
    sid = rng.integers(1, 4, n)
    ts = rng.integers(0, 10**10, n)
    values = rng.normal(50, 10, n)
    origin, step = 3_333_333_333, 250_000_000  # times before the origin floor too

    got_sid, got_bucket, got = buckets.aggregate(sid, ts, values, origin, step, agg)

    frame = pd.DataFrame(
        {"sid": sid, "bucket": origin + np.floor((ts - origin) / step).astype(np.int64) * step}
    )
    frame["ts"], frame["value"] = ts, values
    grouped = frame.sort_values("ts").groupby(["sid", "bucket"])["value"]
    expected = {
        "mean": grouped.mean(),
        "min": grouped.min(),
        "max": grouped.max(),
        "sum": grouped.sum(),
        "count": grouped.count().astype(float),
        "last": grouped.last(),
        "stddev": grouped.std(ddof=1),
        "variance": grouped.var(ddof=1),
    }[agg]
    assert list(zip(got_sid, got_bucket, strict=True)) == list(expected.index)
    np.testing.assert_allclose(got, expected.to_numpy(), rtol=1e-12)


def test_a_bucket_of_one_point_has_no_spread_and_no_points_give_no_buckets():
    one = buckets.aggregate(np.array([1]), np.array([5]), np.array([2.0]), 0, 10, "stddev")
    none = buckets.aggregate(
        np.array([], dtype=np.int64), np.array([], dtype=np.int64), np.array([]), 0, 10, "mean"
    )

    assert np.isnan(one[2]).all() and [len(part) for part in none] == [0, 0, 0]
    with pytest.raises(ValueError, match="median"):
        buckets.aggregate(np.array([1]), np.array([5]), np.array([2.0]), 0, 10, "median")


@pytest.fixture
def chunked_and_landed(db):
    """Two series: a day and a half compacted into chunks, then late, re-sent
    and fresh points left in landing (a re-sent point's first value wins)."""
    rng = np.random.default_rng(3)
    for host in ("web-1", "web-2"):
        write_samples(make_samples("cpu", {"host": host}, START, 2160, 60, rng.normal(40, 5, 2160)))
    compact()
    for host in ("web-1", "web-2"):
        write_samples(
            make_samples("cpu", {"host": host}, START + dt.timedelta(days=1), 30, 60, np.full(30, -1.0))
        )
        write_samples(make_samples("cpu", {"host": host}, START + dt.timedelta(minutes=2160), 90, 60))
        write_samples(make_samples("cpu", {"host": host}, START + dt.timedelta(seconds=30), 20, 600))
    return sorted(Series.objects.values_list("id", flat=True))


def sql_downsample(ids, start, end, step, agg):
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT series_id, date_bin(%s, ts, %s) AS bucket, {SQL[agg]}
                FROM tsmon_series_points(%s::bigint[], %s, %s)
                GROUP BY series_id, bucket ORDER BY series_id, bucket""",
            [step, start, ids, start, end],
        )
        return cursor.fetchall()


def assert_same_rows(got, expected):
    assert [(r[0], r[1]) for r in got] == [(r[0], r[1]) for r in expected]
    np.testing.assert_allclose(
        [np.nan if r[2] is None else r[2] for r in got],
        [np.nan if r[2] is None else r[2] for r in expected],
        rtol=1e-12,
    )


@pytest.mark.parametrize("agg", buckets.AGGREGATES)
def test_downsampling_matches_date_bin_over_the_read_function(chunked_and_landed, agg):
    ids = chunked_and_landed
    start, end, step = (
        START + dt.timedelta(minutes=7),
        START + dt.timedelta(hours=38),
        dt.timedelta(minutes=25),
    )

    assert_same_rows(
        queries.downsample(ids, start, end, step, agg), sql_downsample(ids, start, end, step, agg)
    )


@pytest.mark.parametrize(("cap", "least"), [(500_000, 1), (1000, 2 * 3), (100, 2 * 22)])
def test_reads_cut_by_the_point_cap_give_the_buckets_of_one_read(chunked_and_landed, monkeypatch, cap, least):
    """About 2,200 points a series: under a cap of 1,000 each series is read
    alone in 3 stretches of whole buckets, under 100 in 22; else in one read."""
    ids = chunked_and_landed
    start, end, step = START, START + dt.timedelta(hours=40), dt.timedelta(minutes=7)
    expected = sql_downsample(ids, start, end, step, "variance")
    monkeypatch.setattr(queries, "MAX_POINTS_PER_READ", cap)
    reads, real = [], queries._bucketed
    monkeypatch.setattr(
        queries, "_bucketed", lambda *args, **kwargs: reads.append(args) or real(*args, **kwargs)
    )

    streamed = [
        row for chunk in queries.stream_downsampled(ids, start, end, step, "variance") for row in chunk
    ]

    assert_same_rows(streamed, expected)
    assert least <= len(reads) <= least + 2


def sql_points(ids, start, end):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT series_id, (extract(epoch FROM ts) * 1000000)::bigint, value"
            " FROM tsmon_series_points(%s::bigint[], %s, %s) ORDER BY 1, 2",
            [ids, start, end],
        )
        return cursor.fetchall()


@pytest.mark.parametrize("compact_again", [False, True])
def test_read_arrays_gives_the_rows_of_the_read_function(chunked_and_landed, compact_again):
    """Regular chunks with landing rows over them (late, re-sent, fresh), and
    after a second compaction, chunks with irregular times (stored as deltas)."""
    ids = chunked_and_landed
    if compact_again:
        compact()
        write_samples(make_samples("cpu", {"host": "web-1"}, START + dt.timedelta(hours=30), 5, 7))
    start, end = START + dt.timedelta(minutes=3, seconds=30), START + dt.timedelta(hours=37)
    irregular = Series.objects.raw("SELECT 1 AS id FROM ingestion_chunk WHERE step_us IS NULL LIMIT 1")

    sid, ts_us, values = queries.read_arrays(ids, start, end)

    got = sorted(zip(sid.tolist(), ts_us.tolist(), values.tolist(), strict=True))
    assert got == [tuple(row) for row in sql_points(ids, start, end)]
    assert bool(list(irregular)) == compact_again
