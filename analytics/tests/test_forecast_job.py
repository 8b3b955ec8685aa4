import datetime as dt

import numpy as np
import pytest
from rest_framework.test import APIClient

from analytics.forecasting import forecast_series, series_bounds
from analytics.jobs import run_forecasts
from analytics.models import Forecast
from analytics.tests.algorithms.helpers import (
    LEAK_DAYS,
    LEAK_START_DAY,
    hours_until,
    leaking_memory_percent,
)
from core.models import JobRun
from ingestion.models import ApiKey, Series
from ingestion.writer import write_samples
from tsmon.testing import make_samples

pytestmark = pytest.mark.django_db

# Relative to the real clock: the on-demand forecast reads the history before now.
NOW = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
DAYS = 10
RATE_PER_DAY = 3.0  # the disk fills 3 points a day...
LAST = 80.0  # ...and stands at 80 %: full in about 6.7 days


@pytest.fixture
def filling_disk():
    n = DAYS * 24 * 6  # every 10 minutes
    minutes = np.arange(n) * 10
    values = LAST - RATE_PER_DAY * (n - 1 - np.arange(n)) / 144 + 0.5 * np.sin(2 * np.pi * minutes / 1440)
    values += np.random.default_rng(5).normal(0, 0.05, n)
    start = NOW - dt.timedelta(minutes=int(minutes[-1]) + 10)
    write_samples(
        make_samples("disk_used_percent", {"host": "db-1", "mount": "/data"}, start, n, 600, values)
    )
    series = Series.objects.get()
    series.capacity = 100
    series.save()
    return series


def test_the_forecast_job_says_when_a_filling_disk_is_full(filling_disk):
    totals = run_forecasts(NOW)

    assert totals == {"series": 1, "stored": 1, "not_enough_data": 0}
    forecast = Forecast.objects.get(series=filling_disk)
    days_to_full = (forecast.threshold_at - NOW) / dt.timedelta(days=1)
    assert 6.0 < days_to_full < 7.5
    assert (
        forecast.threshold_earliest
        <= forecast.threshold_at
        <= (forecast.threshold_latest or forecast.threshold_at)
    )
    assert forecast.levels == [80, 95] and len(forecast.points) == 7 * 24
    assert {"mean", "lo-80", "hi-80", "lo-95", "hi-95"} <= set(forecast.points[0])
    assert forecast.skill["ratio_to_seasonal_naive"] < 1  # a trend is what seasonal naive cannot follow
    assert JobRun.objects.get(job="forecast").outcome == "ok"


def test_a_series_with_too_little_history_is_counted_not_failed():
    write_samples(make_samples("disk_used_percent", {"host": "x"}, NOW - dt.timedelta(hours=5), 5, 3600))
    Series.objects.update(capacity=100)

    assert run_forecasts(NOW) == {"series": 1, "stored": 0, "not_enough_data": 1}


def test_the_api_gives_the_stored_forecast_or_a_fresh_one(filling_disk):
    _, key = ApiKey.issue("dash", ["read"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get(f"/api/v1/series/{filling_disk.pk}/forecast").status_code == 404

    run_forecasts(NOW)
    stored = client.get(f"/api/v1/series/{filling_disk.pk}/forecast")
    assert stored.status_code == 200 and stored.data["threshold"] == 100

    fresh = client.get(
        f"/api/v1/series/{filling_disk.pk}/forecast", {"horizon": "48h", "level": ["90"], "threshold": "85"}
    )
    assert fresh.status_code == 200
    assert len(fresh.data["points"]) == 48 and "lo-90" in fresh.data["points"][0]
    assert fresh.data["threshold_at"] is not None  # 85 % is about 1.7 days away

    bad = client.get(f"/api/v1/series/{filling_disk.pk}/forecast", {"horizon": "1y"})
    assert bad.status_code == 400 and bad.data["parameter"] == "horizon"


def test_a_series_bounds_come_from_its_unit_kind_and_capacity():
    assert series_bounds(Series(unit="percent")) == (0, 100)
    assert series_bounds(Series(unit="%", capacity=80)) == (0, 80)
    assert series_bounds(Series(unit="ratio")) == (0, 1)
    assert series_bounds(Series(unit="bytes", capacity=5e11)) == (0, 5e11)
    assert series_bounds(Series(kind="counter")) == (0, None)
    assert series_bounds(Series(unit="seconds")) == (None, None)  # a clock offset can be negative
    assert series_bounds(Series(unit="celsius", capacity=90)) == (None, 90)


def test_a_leaking_memory_percentage_is_forecast_to_fill_when_its_straight_line_does():
    # As the demo's web-2 memory; the unit "percent" is guessed from the name, no capacity is set.
    n = (LEAK_START_DAY + LEAK_DAYS) * 24 * 6  # every 10 minutes
    hours = np.arange(n) / 6
    values = leaking_memory_percent(hours) + np.random.default_rng(3).normal(0, 0.6, n)
    start = NOW - dt.timedelta(minutes=10 * n)
    write_samples(make_samples("memory_used_percent", {"host": "web-2"}, start, n, 600, values))
    series = Series.objects.get()
    assert series.unit == "percent" and series.capacity is None

    result = forecast_series(series, NOW, threshold=100)

    assert result.frame.to_numpy().max() <= 100
    # The last whole hour's mean stands for its middle, half an hour before NOW.
    line_hours = hours_until(leaking_memory_percent, hours[-1] + 1 / 6 - 0.5, 100)
    forecast_hours = (result.crossing.expected - NOW) / dt.timedelta(hours=1)
    assert abs(forecast_hours - line_hours) <= 4
