"""Units from metric names: rates are `<what>/s`, shown as such, never negative;
series stored before the rule get theirs from a migration."""

import importlib

import pytest
from django.db import connection
from django.utils import timezone

from analytics.forecasting import series_bounds
from ingestion.models import Series
from ingestion.series_cache import guess_unit
from ingestion.writer import write_samples
from tsmon.testing import make_samples
from web.charts_axes import format_value

RATE_UNITS = importlib.import_module("ingestion.migrations.0007_rate_units").RATE_UNITS


@pytest.mark.parametrize(
    ("metric", "unit"),
    [
        ("network_receive_bytes_per_second", "bytes/s"),
        ("network_transmit_packets_per_second", "packets/s"),
        ("disk_reads_per_second", "reads/s"),
        ("memory_total_bytes", "bytes"),
        ("cpu_usage_percent", "percent"),
        ("http_request_latency_seconds", "seconds"),
        ("load1", ""),
    ],
)
def test_the_unit_is_what_the_metric_name_says(metric, unit):
    assert guess_unit(metric) == unit


@pytest.mark.django_db
def test_a_new_rate_series_gets_its_unit_and_is_drawn_and_bounded_as_a_rate():
    write_samples(make_samples("network_receive_bytes_per_second", {"host": "web-1"}, timezone.now(), 3))

    series = Series.objects.get()
    assert series.unit == "bytes/s"
    assert format_value(9.1e6, series.unit) == "9.1M B/s"
    assert format_value(1234, "packets/s") == "1.23k packets/s"
    assert series_bounds(series) == (0.0, None)


@pytest.mark.django_db
def test_the_migration_names_the_unit_of_rate_series_stored_without_one_and_keeps_a_set_unit():
    rows = {
        "network_receive_bytes_per_second": "",
        "disk_writes_per_second": "",
        "requests_per_second": "req/s",
        "cpu_usage_percent": "",
    }
    for metric, unit in rows.items():
        Series.objects.create(metric=metric, labels={}, key=Series.make_key(metric, {}), unit=unit)

    with connection.cursor() as cursor:
        cursor.execute(RATE_UNITS)

    units = dict(Series.objects.values_list("metric", "unit"))
    assert units == {
        "network_receive_bytes_per_second": "bytes/s",
        "disk_writes_per_second": "writes/s",
        "requests_per_second": "req/s",
        "cpu_usage_percent": "",
    }
