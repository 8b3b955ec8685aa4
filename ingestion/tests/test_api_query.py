import datetime as dt

import numpy as np
import pytest
from rest_framework.test import APIClient

from analytics.algorithms.rolling import rolling_arrays
from ingestion.models import ApiKey, Series
from ingestion.writer import write_samples
from tsmon.testing import forget_write_caches, make_samples

from .query_helpers import answer, body

START = dt.datetime(2026, 11, 20, 0, 0, tzinfo=dt.UTC)
RANGE = {"start": "2026-11-20T00:00:00Z", "end": "2026-11-20T02:00:00Z"}


@pytest.fixture
def stored(db):
    forget_write_caches()
    rng = np.random.default_rng(3)
    values = {host: rng.normal(50, 5, 120) for host in ("web-1", "web-2", "db-1")}
    for host, vals in values.items():
        write_samples(make_samples("cpu_usage_percent", {"host": host}, START, 120, 60, vals))
    write_samples(
        make_samples("disk_used_percent", {"host": "db-1", "mount": "/"}, START, 120, 60, range(120))
    )
    return values


@pytest.fixture
def reader(db):
    _, key = ApiKey.issue("dashboard", ["read"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def keys(response):
    return sorted(s["key"] for s in response.data["results"])


@pytest.mark.parametrize(
    ("match", "expected"),
    [
        ('cpu_usage_percent{host="db-1"}', ['cpu_usage_percent{host="db-1"}']),
        (
            'cpu_usage_percent{host!="db-1"}',
            ['cpu_usage_percent{host="web-1"}', 'cpu_usage_percent{host="web-2"}'],
        ),
        (
            'cpu_usage_percent{host=~"web-.*"}',
            ['cpu_usage_percent{host="web-1"}', 'cpu_usage_percent{host="web-2"}'],
        ),
        ('cpu_usage_percent{host!~"web-.*"}', ['cpu_usage_percent{host="db-1"}']),
        ('{host="db-1", mount="/"}', ['disk_used_percent{host="db-1",mount="/"}']),
        ('{host="db-1", mount=""}', ['cpu_usage_percent{host="db-1"}']),
    ],
)
def test_series_are_selected_with_prometheus_matchers(stored, reader, match, expected):
    response = reader.get("/api/v1/series", {"match": match})

    assert response.status_code == 200
    assert keys(response) == expected


def test_the_series_list_costs_the_same_queries_for_any_number_of_series(
    stored, reader, django_assert_num_queries, settings
):
    settings.TSMON_API_KEY_CACHE_SECONDS = 3600  # the key is read once, then remembered
    reader.get("/api/v1/series")  # the key's last_used_at is written on first use
    # the count, the page with its sources joined
    with django_assert_num_queries(2):
        response = reader.get("/api/v1/series")
    assert response.data["count"] == 4 and response.data["results"][0]["source"] == "db-1"

    for i in range(20):
        write_samples(make_samples(f"extra_{i}", {"host": f"h{i}"}, START, 1))
    with django_assert_num_queries(2):
        response = reader.get("/api/v1/series")
    assert response.data["count"] == 24


def test_one_series_shows_its_point_count_and_time_span(stored, reader):
    series = Series.objects.get(metric="disk_used_percent")
    response = reader.get(f"/api/v1/series/{series.pk}")

    assert response.status_code == 200
    assert response.data["point_count"] == 120
    assert response.data["first_ts"] == "2026-11-20T00:00:00Z"
    assert response.data["last_ts"] == "2026-11-20T01:59:00Z"


def test_label_names_and_values_feed_pickers(stored, reader):
    assert reader.get("/api/v1/labels").data == {"labels": ["host", "mount"]}
    assert reader.get("/api/v1/labels/host/values").data["values"] == ["db-1", "web-1", "web-2"]
    narrowed = reader.get("/api/v1/labels/host/values", {"match": "disk_used_percent"})
    assert narrowed.data["values"] == ["db-1"]


def test_raw_points_come_in_pages_that_join_up(stored, reader):
    series = Series.objects.get(metric="disk_used_percent")
    response = reader.get("/api/v1/points", {"series": series.pk, **RANGE, "limit": 50})
    assert response.status_code == 200
    first = answer(response)
    page = first["series"][0]["points"]
    assert len(page) == 50 and page[0] == ["2026-11-20T00:00:00+00:00", 0.0]

    values = [v for _, v in page]
    url = first["next"]
    while url:
        response = answer(reader.get(url))
        values += [v for _, v in response["series"][0]["points"]]
        url = response["next"]
    assert values == [float(i) for i in range(120)]


@pytest.mark.parametrize("agg", ["mean", "min", "max", "sum", "count", "last", "stddev", "variance"])
def test_downsampled_points_are_exact_aggregates_of_the_raw_points(stored, reader, agg):
    response = reader.get(
        "/api/v1/points", {"match": 'cpu_usage_percent{host="web-1"}', **RANGE, "step": "30m", "agg": agg}
    )

    assert response.status_code == 200
    got = [v for _, v in answer(response)["series"][0]["points"]]
    buckets = stored["web-1"].reshape(4, 30)
    expected = {
        "mean": buckets.mean(axis=1),
        "min": buckets.min(axis=1),
        "max": buckets.max(axis=1),
        "sum": buckets.sum(axis=1),
        "count": np.full(4, 30.0),
        "last": buckets[:, -1],
        "stddev": buckets.std(axis=1, ddof=1),
        "variance": buckets.var(axis=1, ddof=1),
    }[agg]
    np.testing.assert_allclose(got, expected, rtol=1e-9)


def test_points_come_as_csv_when_asked(stored, reader):
    series = Series.objects.get(metric="disk_used_percent")
    response = reader.get("/api/v1/points", {"series": series.pk, **RANGE, "limit": 2, "format": "csv"})

    assert response["Content-Type"].startswith("text/csv")
    lines = body(response).decode().splitlines()
    assert lines[0] == "series_id,key,ts,value"
    assert (
        lines[1]
        == f'{series.pk},"disk_used_percent{{host=""db-1"",mount=""/""}}",2026-11-20T00:00:00+00:00,0.0'
    )


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"match": 'cpu{host="a"'}, "match"),
        ({"match": "cpu_usage_percent", "start": "yesterday"}, "start"),
        ({"match": "cpu_usage_percent", "start": "now", "end": "now-1h"}, "start"),
        ({"match": "cpu_usage_percent", "step": "fast"}, "step"),
        ({"match": "cpu_usage_percent", "step": "1m", "agg": "median"}, "agg"),
        ({"match": "cpu_usage_percent", "step": "1s", "start": "now-30d"}, "step"),
        ({"match": "cpu_usage_percent", "limit": "0"}, "limit"),
        ({"match": "cpu_usage_percent", "cursor": "???"}, "cursor"),
        ({"series": "one"}, "series"),
        ({}, "match"),
    ],
)
def test_a_bad_parameter_is_a_400_that_names_it(stored, reader, params, parameter):
    response = reader.get("/api/v1/points", params)

    assert response.status_code == 400
    assert response.data["parameter"] == parameter and response.data["detail"]


def test_rolling_statistics_are_those_of_the_algorithm_code(stored, reader):
    series = Series.objects.get(key='cpu_usage_percent{host="web-2"}')
    response = reader.get(
        f"/api/v1/series/{series.pk}/rolling",
        {"window": "10", "start": "2026-11-20T01:00:00Z", "end": "2026-11-20T02:00:00Z"},
    )

    assert response.status_code == 200
    points = answer(response)["points"]
    ts = (np.arange(120, dtype=np.int64) * 60 + int(START.timestamp())) * 1_000_000_000
    expected = rolling_arrays(ts, stored["web-2"], 10)
    assert len(points) == 60
    np.testing.assert_allclose([p["mean"] for p in points], expected["mean"][60:])
    np.testing.assert_allclose([p["zscore"] for p in points], expected["zscore"][60:])


def test_reads_need_a_read_key_or_a_login(stored, django_user_model):
    anonymous = APIClient()
    assert anonymous.get("/api/v1/series").status_code == 401

    _, write_only = ApiKey.issue("agent", ["write"])
    agent = APIClient()
    agent.credentials(HTTP_AUTHORIZATION=f"Bearer {write_only}")
    assert agent.get("/api/v1/series").status_code == 403

    person = APIClient()
    person.force_login(django_user_model.objects.create_user("ana", password="x"))
    assert person.get("/api/v1/series").status_code == 200
    assert person.patch(f"/api/v1/series/{Series.objects.first().pk}", {"unit": "%"}).status_code == 403


def test_an_admin_key_sets_capacity_and_deletes_a_series_with_its_points(stored):
    _, admin_key = ApiKey.issue("ops", ["admin"])
    admin = APIClient()
    admin.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_key}")
    series = Series.objects.get(metric="disk_used_percent")

    response = admin.patch(f"/api/v1/series/{series.pk}", {"capacity": 100, "unit": "percent"}, format="json")
    assert response.status_code == 200 and response.data["capacity"] == 100
    assert admin.delete(f"/api/v1/series/{series.pk}").status_code == 204

    from ingestion.queries import point_stats

    assert not Series.objects.filter(pk=series.pk).exists() and point_stats(series.pk)[0] == 0


@pytest.mark.parametrize("agg", ["mean", "last", "variance", "count"])
@pytest.mark.parametrize("chunk_rows", [1, 3, 7, 1000])
def test_streamed_reads_in_small_chunks_give_the_rows_of_one_read(stored, agg, chunk_rows):
    from ingestion import queries

    ids = list(Series.objects.order_by("id").values_list("id", flat=True))
    start, end = START + dt.timedelta(minutes=7), START + dt.timedelta(minutes=111)
    step = dt.timedelta(minutes=13)

    downsampled = queries.stream_downsampled(ids, start, end, step, agg, chunk_rows=chunk_rows)
    raw = queries.stream_points(ids, start, end, 250, after=(ids[0], START), chunk_rows=chunk_rows)

    assert [row for chunk in downsampled for row in chunk] == queries.downsample(ids, start, end, step, agg)
    assert [row for chunk in raw for row in chunk] == queries.read_points(
        ids, start, end, 250, (ids[0], START)
    )
