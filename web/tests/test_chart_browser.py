"""Reading a chart closely in a real browser (headless Chromium, as in
test_pages_browser.py): the hover read-out of a known point, drag-to-zoom to
a narrower range, and the read-out on a chart that live refresh swapped in.

The person chose Asia/Tokyo (the pages draw in it, core.time_zones), the
browser is in New York and the site in UTC, so a read-out in the wrong zone
shows.
"""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
import zoneinfo

import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from analytics.queries import rolling_statistics
from core.time_zones import CHOICE_COOKIE
from ingestion.models import Series
from ingestion.writer import write_samples
from tsmon.testing import make_samples
from web import live
from web.charts import render_chart
from web.charts_axes import format_value
from web.charts_data import ChartData, Line
from web.tests.test_pages_browser import CHROMIUM, LAUNCH_ARGS, expect, shoot, sync_playwright

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(300), pytest.mark.browser]
PERSON_ZONE = "Asia/Tokyo"
PASSWORD = "a-long-test-password"
KEY = 'cpu_usage_percent{host="web-1"}'
SPAN = dt.timedelta(hours=6)  # one-minute points: one bucket per point on a 6h chart


@pytest.fixture
def chart_page(live_server, settings, monkeypatch):
    settings.TIME_ZONE = "UTC"
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # ORM calls between browser steps
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        context = browser.new_context(
            viewport={"width": 1280, "height": 860}, device_scale_factor=1, timezone_id="America/New_York"
        )
        context.set_default_timeout(15_000)
        context.add_cookies([{"name": CHOICE_COOKIE, "value": PERSON_ZONE, "url": live_server.url}])
        page = context.new_page()
        problems = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        yield page
        assert not problems, f"the page logged errors: {problems}"
        browser.close()


def demo_like_cpu(end: dt.datetime) -> tuple[Series, np.ndarray, dt.datetime]:
    """Seven hours of a daily CPU curve with noise, one point a minute, ending at `end`."""
    first = end - SPAN - dt.timedelta(hours=1)
    minutes = np.arange(7 * 60)
    rng = np.random.default_rng(7)
    values = 45 + 20 * np.sin(2 * np.pi * minutes / 1440) + rng.normal(0, 2.5, len(minutes))
    write_samples(make_samples("cpu_usage_percent", {"host": "web-1"}, first, len(values), values=values))
    Series.objects.filter(key=KEY).update(unit="percent")
    return Series.objects.get(key=KEY), values, first


def log_in(page, url: str) -> None:
    get_user_model().objects.create_user("alice", password=PASSWORD)
    page.goto(f"{url}/accounts/login/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")


def x_of(page, when: dt.datetime, start: dt.datetime, end: dt.datetime) -> float:
    """Where the plot draws `when`, in the page's pixels."""
    box = page.locator("[data-testid=chart] .plot-area").bounding_box()
    return box["x"] + (when - start) / (end - start) * box["width"]


def mid_y(page) -> float:
    box = page.locator("[data-testid=chart] .plot-area").bounding_box()
    return box["y"] + box["height"] / 2


def readout(page, name: str) -> str:
    return page.locator(f"[data-testid=chart-readout] [data-readout={name}] .readout-text").inner_text()


def local(when: dt.datetime) -> str:
    return when.astimezone(zoneinfo.ZoneInfo(PERSON_ZONE)).strftime("%Y-%m-%d %H:%M")


def test_a_person_reads_a_point_then_drags_to_zoom_into_part_of_the_chart(live_server, chart_page, tmp_path):
    page = chart_page
    end = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(minutes=30)
    start = end - SPAN
    series, values, first = demo_like_cpu(end)
    log_in(page, live_server.url)
    fixed = urllib.parse.urlencode({"range": "6h", "end": end.isoformat(), "window": "15m"})
    page.goto(f"{live_server.url}/series/{series.pk}/?{fixed}")
    assert page.inner_text("[data-testid=zone]") == PERSON_ZONE

    # Hover over the point of two hours before the end: its time, value, expected value and band.
    when = end - dt.timedelta(hours=2)
    page.mouse.move(x_of(page, when, start, end), mid_y(page))
    expect(page.locator("[data-testid=chart-readout]")).to_be_visible()
    index = int((when - first).total_seconds() // 60)
    assert readout(page, "time") == f"{local(when)} {PERSON_ZONE}"
    assert readout(page, "value") == format_value(values[index], "percent")
    rolling = rolling_statistics(series.pk, start, end, "15m").loc[when]
    assert readout(page, "expected") == format_value(rolling["mean"], "percent")
    band = f"{format_value(rolling['mean'] - 3 * rolling['std'], 'percent')} – "
    assert readout(page, "band") == band + format_value(rolling["mean"] + 3 * rolling["std"], "percent")
    assert page.locator("[data-testid=chart-cursor]").is_visible()
    shoot(page, tmp_path, "series-readout.png")

    # A drag of a few pixels is a click, not a zoom, nor is a drag given up with Escape;
    # then a drag from 4 h to 3 h before the end.
    history = page.evaluate("history.length")
    x_from, x_to = x_of(page, end - dt.timedelta(hours=4), start, end), x_of(page, end - SPAN / 2, start, end)
    page.mouse.move(x_from, mid_y(page))
    page.mouse.down()
    page.mouse.move(x_from + 4, mid_y(page))
    page.mouse.up()
    page.mouse.down()
    page.mouse.move(x_to, mid_y(page), steps=5)
    page.keyboard.press("Escape")
    expect(page.locator("[data-testid=chart-selection]")).to_be_hidden()
    page.mouse.up()
    page.mouse.move(x_from, mid_y(page))
    page.mouse.down()
    page.mouse.move((x_from + x_to) / 2, mid_y(page), steps=5)
    expect(page.locator("[data-testid=chart-selection]")).to_be_visible()
    shoot(page, tmp_path, "series-zoom-drag.png")
    page.mouse.move(x_to, mid_y(page), steps=5)
    page.mouse.up()
    page.wait_for_url(re.compile(r"start="))
    assert page.evaluate("history.length") == history + 1  # one navigation: the short drag made none

    query = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)
    zoomed = [dt.datetime.fromisoformat(query[name][0]) for name in ("start", "end")]
    # Within a pixel of where the drag began and ended, then widened to whole minutes.
    pixel = SPAN / page.locator("[data-testid=chart] .plot-area").bounding_box()["width"]
    minute = dt.timedelta(minutes=1)
    assert zoomed[0].second == zoomed[1].second == 0
    assert end - dt.timedelta(hours=4) - minute - pixel <= zoomed[0] <= end - dt.timedelta(hours=4) + pixel
    assert end - SPAN / 2 - pixel <= zoomed[1] <= end - SPAN / 2 + minute + pixel
    assert "range" not in query and query["window"] == ["15m"]  # the page's other choices stay

    # The server drew the narrower range: the caption, the chart's domain and its points.
    caption = page.locator("[data-fragment=chart] p.muted").inner_text()
    shown = [t.astimezone(zoneinfo.ZoneInfo(PERSON_ZONE)) for t in zoomed]
    assert caption.startswith(f"{shown[0]:%b %d %H:%M} – {shown[1]:%b %d %H:%M} JST")
    n_points = sum(zoomed[0] <= first + dt.timedelta(minutes=i) < zoomed[1] for i in range(len(values)))
    assert f"· {n_points} points" in caption
    # Points a minute apart, buckets of 10 s on an hour's chart: the read-out names the seconds.
    when = end - dt.timedelta(hours=3, minutes=30)
    page.mouse.move(x_of(page, when, *zoomed), mid_y(page))
    assert readout(page, "time") == f"{local(when)}:00 {PERSON_ZONE}"
    assert readout(page, "value") == format_value(
        values[int((when - first).total_seconds() // 60)], "percent"
    )


def test_the_read_out_works_on_a_chart_that_live_refresh_swapped_in(live_server, chart_page, monkeypatch):
    monkeypatch.setattr(live, "REFRESH_SECONDS", 1)
    page = chart_page
    now = timezone.now()
    series, _, _ = demo_like_cpu(now.replace(second=0, microsecond=0) - dt.timedelta(minutes=1))
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/series/{series.pk}/?range=1h")
    page.mouse.move(x_of(page, now - dt.timedelta(minutes=30), now - dt.timedelta(hours=1), now), mid_y(page))
    expect(page.locator("[data-testid=chart-readout]")).to_be_visible()

    newest = timezone.now().replace(microsecond=0)
    write_samples(make_samples("cpu_usage_percent", {"host": "web-1"}, newest, 1, values=[99.25]))
    expect(page.locator("[data-testid=last-value]")).to_have_text(re.compile(r"^99\.2"))

    box = page.locator("[data-testid=chart] .plot-area").bounding_box()
    page.mouse.move(box["x"] + box["width"] - 1, mid_y(page))
    expect(page.locator("[data-testid=chart-readout] [data-readout=value] .readout-text")).to_have_text(
        "99.2%"
    )


VALUES = [
    0,
    -0.0,
    12.25,
    1.125,
    100.5,
    101.5,
    0.125,
    999.5,
    999.4,
    1234.5,
    1e-5,
    0.000123,
    -4.56789e-7,
    1.5e15,
    7e-300,
    123456,
]


def test_the_script_formats_values_as_the_server_does(live_server, chart_page):
    page = chart_page
    log_in(page, live_server.url)  # any page loads the script
    for unit in ("", "percent", "bytes", "req/s"):
        shown = page.evaluate(
            "([vs, u]) => vs.map((v) => window.tsmonCharts.formatValue(v, u))", [VALUES, unit]
        )
        assert shown == [format_value(v, unit) for v in VALUES], unit


def test_the_read_out_names_each_line_of_a_chart_of_peers_and_only_zoomable_charts_zoom(
    live_server, chart_page
):
    """The renderer's own figure with two lines, on a bare page with the site's stylesheet and script."""
    page = chart_page
    start = dt.datetime(2026, 12, 3, 0, 0, tzinfo=dt.UTC)
    ts = start.timestamp() + 60 * np.arange(60)
    peers = [Line(ts, 40 + np.arange(60) / 4, 'cpu{host="web-1"}'), Line(ts, 70 - np.arange(60) / 8, "web-2")]
    data = ChartData(
        start, start + dt.timedelta(hours=1), np.array([]), np.array([]), lines=peers, unit="percent"
    )
    static = f"{live_server.url}/static/tsmon"
    page.set_content(
        f'<link rel="stylesheet" href="{static}/site.css"><main>{render_chart(data)}</main>'
        f'<script src="{static}/chart.js"></script>'
    )
    page.wait_for_function("window.tsmonCharts !== undefined")

    page.mouse.move(x_of(page, start + dt.timedelta(minutes=20), data.start, data.end), mid_y(page))

    expect(page.locator("[data-testid=chart-readout]")).to_be_visible()
    assert page.locator("[data-readout=value]").count() == 0  # no value of its own: only the lines
    assert readout(page, "line-0") == format_value(40 + 20 / 4, "percent")
    assert readout(page, "line-1") == format_value(70 - 20 / 8, "percent")
    assert page.locator("[data-readout=line-0]").inner_text().startswith('cpu{host="web-1"}')

    box = page.locator("[data-testid=chart] .plot-area").bounding_box()
    page.mouse.down()
    page.mouse.move(box["x"] + 10, mid_y(page), steps=5)
    page.mouse.up()
    assert page.locator("[data-testid=chart-selection]").count() == 0  # not inside [data-chart-zoom]
