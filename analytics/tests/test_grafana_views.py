"""The SQL a Grafana PostgreSQL data source runs against tsmon's views."""

import datetime as dt

import numpy as np
import pytest
from django.db import connection, transaction

from analytics.models import Anomaly, Detector
from ingestion.models import Series
from ingestion.writer import write_samples
from tsmon.testing import make_samples

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 11, 19, 23, 0, tzinfo=dt.UTC)  # two hours: two day partitions


@pytest.fixture
def stored():
    from ingestion import partitions, writer

    writer._resolver.clear()
    partitions.forget_known()
    values = np.arange(120, dtype=float)
    write_samples(make_samples("cpu_usage_percent", {"host": "web-1"}, START, 120, 60, values))
    write_samples(make_samples("cpu_usage_percent", {"host": "web-2"}, START, 120, 60, values * 2))
    series = Series.objects.get(labels__host="web-1")
    Anomaly.objects.create(
        detector=Detector.objects.get(name="default"), series=series, ts=START + dt.timedelta(minutes=7),
        score=0.9, value=7, expected=3, lo=2, hi=4, direction=1,
    )  # fmt: skip
    return values


def query(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else None


def test_a_grafana_time_series_query_groups_points_into_intervals(stored):
    # What Grafana sends for `$__timeGroupAlias(time, 30m)` and `$__timeFilter(time)`.
    rows = query(
        """
        SELECT floor(extract(epoch FROM time) / 1800) * 1800 AS "time", avg(value) AS value
        FROM tsmon_points
        WHERE time BETWEEN '2026-11-19T23:00:00Z' AND '2026-11-20T00:59:59Z'
          AND metric = 'cpu_usage_percent' AND host = 'web-1'
        GROUP BY 1 ORDER BY 1
        """
    )

    assert [value for _, value in rows] == [stored[i : i + 30].mean() for i in range(0, 120, 30)]


def test_the_anomaly_view_gives_annotations_with_their_series_and_detector(stored):
    rows = query("SELECT time, series, host, score, expected, detector FROM tsmon_anomalies")

    assert rows == [
        (START + dt.timedelta(minutes=7), 'cpu_usage_percent{host="web-1"}', "web-1", 0.9, 3.0, "default")
    ]


def test_a_one_day_query_reads_only_that_days_partition(stored):
    plan = "\n".join(
        row[0]
        for row in query(
            "EXPLAIN SELECT time, value FROM tsmon_points "
            "WHERE time >= '2026-11-20T00:00:00Z' AND time < '2026-11-20T01:00:00Z' AND host = 'web-1'"
        )
    )

    assert "ingestion_point_p20261120" in plan and "ingestion_point_p20261119" not in plan


def test_a_read_only_role_sees_the_views_and_nothing_else(stored):
    with transaction.atomic():
        query("CREATE ROLE tsmon_grafana_probe NOLOGIN")
        query("GRANT SELECT ON tsmon_points, tsmon_anomalies, tsmon_anomaly_events TO tsmon_grafana_probe")
        query("SET LOCAL ROLE tsmon_grafana_probe")
        assert query("SELECT count(*) FROM tsmon_points")[0][0] == 240
        with pytest.raises(Exception, match="permission denied"), transaction.atomic():
            query("SELECT count(*) FROM ingestion_apikey")
        query("RESET ROLE")
        query("DROP OWNED BY tsmon_grafana_probe")
        query("DROP ROLE tsmon_grafana_probe")
