"""The data a chart carries for its hover read-out (web.charts.chart_readout),
and the series page that carries it and takes a zoomed range."""

from __future__ import annotations

import datetime as dt
import json
import math
import re

import numpy as np
import pytest
from django.contrib.staticfiles import finders

from ingestion.models import Series
from ingestion.writer import write_samples
from tsmon.testing import make_samples
from web.charts import render_chart
from web.charts_data import Band, ChartData, Line, line_colour
from web.charts_readout import chart_readout

START = dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.UTC)
END = START + dt.timedelta(hours=1)
BLOCK = re.compile(r'<script type="application/json" class="chart-readout-data">(.*?)</script>', re.S)


def minutes(*offsets: float) -> np.ndarray:
    return np.array([START.timestamp() + 60 * m for m in offsets])


def ms(offset_minutes: float) -> int:
    return round((START.timestamp() + 60 * offset_minutes) * 1000)


def six_points(**extra) -> ChartData:
    """Six one-minute points, one of them missing."""
    values = np.array([1.0, 2.0, np.nan, 4.0, 5.5, 6.25])
    return ChartData(START, END, minutes(0, 1, 2, 3, 4, 5), values, unit="percent", tz="Asia/Tokyo", **extra)


def embedded(html: str) -> dict:
    (text,) = BLOCK.findall(html)
    return json.loads(text)


def test_it_gives_each_bucket_its_time_in_ms_and_its_value_and_missing_values_as_null():
    readout = chart_readout(six_points())

    assert readout["t"] == [ms(m) for m in range(6)]
    assert readout["value"] == [1, 2, None, 4, 5.5, 6.25]
    assert (readout["unit"], readout["tz"], readout["step_ms"]) == ("percent", "Asia/Tokyo", 60_000)
    assert (readout["start_ms"], readout["end_ms"]) == (ms(0), ms(60))
    assert "min" not in readout and "max" not in readout


def test_it_takes_the_expected_value_and_band_from_the_rolling_band_at_the_same_times():
    ts = minutes(1, 2, 3)
    rolling = Band(
        ts, np.array([0.5, 1.5, np.nan]), np.array([3.5, 4.5, np.nan]), np.array([2, 3, 3.5]), "roll"
    )

    readout = chart_readout(six_points(rolling=rolling))

    assert readout["bands"] == ["roll"]
    assert readout["expected"] == [None, 2, 3, None, None, None]  # no band at 13:03: no expected either
    assert readout["lo"] == [None, 0.5, 1.5, None, None, None]
    assert readout["hi"] == [None, 3.5, 4.5, None, None, None]
    assert readout["band"] == [None, 0, 0, None, None, None]


def test_forecast_times_after_the_points_get_the_widest_forecast_band_and_no_value():
    future = (minutes(6, 7) * 1e6).astype("datetime64[us]")  # forecasts hold datetime64 times
    wide = Band(future, np.array([0.0, -1.0]), np.array([12.0, 14.0]), np.array([6.0, 6.5]), "forecast 95 %")
    narrow = Band(future, np.array([3.0, 2.0]), np.array([9.0, 10.0]), np.array([6.0, 6.5]), "forecast 80 %")

    readout = chart_readout(six_points(forecast=[wide, narrow]))

    assert readout["t"][-2:] == [ms(6), ms(7)]
    assert readout["value"][-2:] == [None, None]
    assert readout["expected"][-2:] == [6, 6.5]
    assert (readout["lo"][-2:], readout["hi"][-2:]) == ([0, -1], [12, 14])
    assert readout["bands"][readout["band"][-1]] == "forecast 95 %"


def test_the_rolling_band_wins_over_the_forecast_where_both_have_a_point():
    ts = minutes(4, 5)
    rolling = Band(ts, np.array([4.0, 5.0]), np.array([6.0, 7.0]), np.array([5.0, 6.0]), "roll")
    forecast = Band(minutes(5, 6), np.array([0.0, 0.0]), np.array([20.0, 20.0]), np.array([9.0, 9.0]), "fc")

    readout = chart_readout(six_points(rolling=rolling, forecast=[forecast]))

    assert readout["bands"] == ["roll", "fc"]
    assert readout["band"][4:] == [0, 0, 1]
    assert readout["expected"][4:] == [5, 6, 9]


def test_bucket_extremes_come_along_when_buckets_hold_many_points():
    data = six_points(value_min=np.arange(6) - 0.5, value_max=np.arange(6) + 0.5)

    readout = chart_readout(data)

    assert readout["min"] == [-0.5, 0.5, 1.5, 2.5, 3.5, 4.5]
    assert readout["max"] == [0.5, 1.5, 2.5, 3.5, 4.5, 5.5]


def test_values_keep_seven_significant_digits():
    data = six_points()
    data.value = np.array([math.pi, 123456789.0, -2.0e-9, 1e300, np.inf, 0.1 + 0.2])

    assert chart_readout(data)["value"] == [3.141593, 123456800, -2e-09, 1e300, None, 0.3]


def test_its_x_mapping_puts_a_point_where_the_svg_draws_it():
    data = six_points()
    html = render_chart(data)
    readout = embedded(html)

    drawn = re.search(r'class="value-line" d="M([\d.]+) ([\d.]+)L([\d.]+) ([\d.]+)', html).groups()
    x, y = readout["x"], readout["y"]
    for i, (x_drawn, y_drawn) in enumerate([drawn[0:2], drawn[2:4]]):
        x_mapped = (readout["t"][i] - x["t0_ms"]) / (x["t1_ms"] - x["t0_ms"]) * x["width"]
        y_mapped = y["height"] - (readout["value"][i] - y["v0"]) / (y["v1"] - y["v0"]) * y["height"]
        assert x_mapped == pytest.approx(float(x_drawn), abs=0.05)
        assert y_mapped == pytest.approx(float(y_drawn), abs=0.05)


def test_the_x_domain_reaches_to_the_last_forecast_time_as_the_plot_does():
    forecast = Band(minutes(90), np.array([0.0]), np.array([9.0]), np.array([5.0]), "fc")

    readout = chart_readout(six_points(forecast=[forecast]))

    assert (readout["x"]["t0_ms"], readout["x"]["t1_ms"]) == (ms(0), ms(90))
    assert readout["end_ms"] == ms(60)  # the page's range still ends at END


def test_the_rendered_figure_carries_the_same_data_in_an_inert_block():
    data = six_points()
    html = render_chart(data)

    assert embedded(html) == chart_readout(data)
    assert html.count("<script") == 1  # a data block only: the page's CSP runs no inline script


def test_a_label_cannot_close_the_data_block():
    hostile = '</script><script>alert("x")</script> & <b>'
    rolling = Band(minutes(0), np.array([0.0]), np.array([1.0]), np.array([0.5]), hostile)

    html = render_chart(six_points(rolling=rolling))

    assert html.count("</script>") == 1
    assert embedded(html)["bands"] == [hostile]


def test_an_empty_chart_has_an_empty_read_out():
    data = ChartData(START, END, np.array([]), np.array([]))

    readout = embedded(render_chart(data))

    assert readout["t"] == [] and readout["value"] == []


@pytest.mark.django_db
def test_the_series_page_shows_a_zoomed_range_and_offers_its_chart_for_zooming(admin_client):
    first = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) - dt.timedelta(hours=2)
    write_samples(make_samples("cpu_used_percent", {"host": "web-1"}, first, 120, values=range(120)))
    series = Series.objects.get(metric="cpu_used_percent")
    start, end = first + dt.timedelta(minutes=30), first + dt.timedelta(minutes=50)

    response = admin_client.get(
        f"/series/{series.pk}/", {"start": start.isoformat(), "end": end.isoformat(), "window": "15m"}
    )

    html = response.content.decode()
    readout = embedded(html)
    assert readout["start_ms"] == start.timestamp() * 1000 and readout["end_ms"] == end.timestamp() * 1000
    assert readout["value"] == list(range(30, 50))  # one point a minute, in [start, end)
    assert "data-chart-zoom" in html and "tsmon/chart.js" in html
    assert f'name="start" value="{start.isoformat()}"' in html  # the form keeps the zoom
    assert 'aria-current="true"' not in html.split('class="picker"')[1].split("</nav>")[0]


def test_the_read_out_script_is_a_static_file_of_tsmon():
    assert finders.find("tsmon/chart.js") is not None


def test_each_line_of_a_chart_of_peers_comes_with_its_label_colour_and_values():
    peers = [
        Line(minutes(0, 1), np.array([1.0, 2.0]), 'cpu{host="web-1"}'),
        Line(minutes(1, 2), np.array([3.0, np.nan]), 'cpu{host="web-2"}'),
    ]
    data = ChartData(START, END, np.array([]), np.array([]), lines=peers)

    readout = chart_readout(data)

    assert readout["t"] == [ms(0), ms(1), ms(2)]
    assert readout["value"] == [None, None, None]
    assert [(p["label"], p["colour"], p["value"]) for p in readout["lines"]] == [
        ('cpu{host="web-1"}', line_colour(0), [1, 2, None]),
        ('cpu{host="web-2"}', line_colour(1), [None, 3, None]),
    ]
