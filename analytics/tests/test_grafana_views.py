"""The SQL a Grafana PostgreSQL data source runs against tsmon's views."""

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
from django.db import connection, transaction

from analytics.models import Anomaly, Detector
from ingestion.compaction import compact
from ingestion.models import Series
from ingestion.writer import write_samples
from tsmon.testing import forget_write_caches, make_samples

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 11, 19, 23, 0, tzinfo=dt.UTC)  # two hours: two day partitions


@pytest.fixture
def stored():
    forget_write_caches()
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
    compact()
    sql = (
        "SELECT time, value FROM tsmon_points_between('2026-11-20T00:00:00Z', '2026-11-20T01:00:00Z')"
        " WHERE host = 'web-1'"
    )
    plan = "\n".join(row[0] for row in query(f"EXPLAIN (ANALYZE, COSTS OFF) {sql}"))

    assert len(query(sql)) == 60
    read = [
        line for line in plan.splitlines() if "ingestion_chunk_p" in line and "never executed" not in line
    ]
    assert read and all("ingestion_chunk_p20261120" in line for line in read)


def test_a_read_only_role_sees_the_views_and_nothing_else(stored):
    with transaction.atomic():
        query("CREATE ROLE tsmon_grafana_probe NOLOGIN")
        query(
            "GRANT SELECT ON tsmon_points, tsmon_series, tsmon_anomalies, tsmon_anomaly_events,"
            " ingestion_landed, ingestion_chunk TO tsmon_grafana_probe"
        )
        query("SET LOCAL ROLE tsmon_grafana_probe")
        assert query("SELECT count(*) FROM tsmon_points")[0][0] == 240
        assert query("SELECT count(*) FROM tsmon_series")[0][0] == 2
        with pytest.raises(Exception, match="permission denied"), transaction.atomic():
            query("SELECT count(*) FROM ingestion_apikey")
        query("RESET ROLE")
        query("DROP OWNED BY tsmon_grafana_probe")
        query("DROP ROLE tsmon_grafana_probe")


def test_every_series_has_a_host_to_filter_on_whatever_wrote_it(stored):
    from ingestion.models import Source

    write_samples(make_samples("up", {"instance": "10.0.0.5:9100", "job": "node"}, START, 1))  # Prometheus
    write_samples(make_samples("up", {"instance": "[::1]:9090", "job": "self"}, START, 1))
    write_samples(make_samples("queue_depth", {}, START, 1), source=Source.objects.create(name="batch-1"))

    rows = query("SELECT DISTINCT series, host FROM tsmon_points WHERE metric IN ('up', 'queue_depth')")

    assert sorted(rows) == [
        ("queue_depth", "batch-1"),  # the key's source
        ('up{instance="10.0.0.5:9100",job="node"}', "10.0.0.5"),  # the instance without its port
        ('up{instance="[::1]:9090",job="self"}', "[::1]"),
    ]


def expand_grafana_macros(sql: str) -> str:
    """Expand the macros and variables of docs/grafana/tsmon.json as Grafana's
    PostgreSQL data source does, for a two-hour range, 1-minute interval,
    metric cpu_usage_percent and both web hosts."""
    time_filter = "time BETWEEN '2026-11-19T23:00:00Z' AND '2026-11-20T00:59:59Z'"
    sql = sql.replace("$__timeFilter(time)", time_filter)
    sql = sql.replace("$__timeFrom()", "'2026-11-19T23:00:00Z'").replace(
        "$__timeTo()", "'2026-11-20T00:59:59Z'"
    )
    sql = sql.replace(
        "$__timeGroupAlias(time, $__interval)", 'floor(extract(epoch from time)/60)*60 AS "time"'
    )
    return sql.replace("$metric", "cpu_usage_percent").replace("$host", "'web-1','web-2'")


def test_the_example_dashboard_queries_run_against_the_views(stored):
    dashboard = json.loads((Path(__file__).resolve().parents[2] / "docs/grafana/tsmon.json").read_text())
    queries = [t["rawSql"] for panel in dashboard["panels"] for t in panel["targets"]]
    queries += [a["target"]["rawSql"] for a in dashboard["annotations"]["list"]]
    queries += [v["query"] for v in dashboard["templating"]["list"]]

    answers = [query(expand_grafana_macros(sql)) for sql in queries]

    by_host = answers[0]
    assert len(by_host) == 2 * 120 and {host for _, host, _ in by_host} == {"web-1", "web-2"}
    assert [host for _, host, score in answers[1]] == ["web-1"]  # the one stored anomaly
    assert answers[-1] == [("web-1",), ("web-2",)]  # the host variable's choices
    assert answers[-2] == [("cpu_usage_percent",)]
