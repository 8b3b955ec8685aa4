"""What a dashboard view shows and what its links keep: each panel's own range or
the view's (`range`, `end`), permalinks that fix the window shown, and downloads
(SVG, PNG, CSV) of a panel holding its numbers."""

from __future__ import annotations

import csv
import datetime as dt
import io
import xml.etree.ElementTree as ElementTree
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from core.time_zones import CHOICE_COOKIE
from ingestion.writer import write_samples
from tsmon.testing import make_samples
from web.charts_data import PALETTE
from web.models import Panel
from web.panel_data import MAX_SERIES
from web.tests.conftest import PEERS

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def signed_in(client, cy):
    client.force_login(cy)
    return client


def fixed(peers, **more) -> dict:
    """The query of the peers' two hours, as a permalink writes it."""
    return {"range": "2h", "end": peers.end.isoformat(), **more}


def windows(page) -> list[tuple[dt.datetime, dt.datetime]]:
    return [(shown.data.start, shown.data.end) for shown in page.context["panels"]]


def test_each_panel_shows_its_own_range_ending_now(signed_in, anns_dashboard, peers):
    before = timezone.now().replace(microsecond=0)

    page = signed_in.get(reverse("dashboard-detail", args=[anns_dashboard.pk]))

    (cpu_start, cpu_end), (memory_start, memory_end) = windows(page)
    assert before <= cpu_end <= timezone.now() and memory_end == cpu_end
    assert (cpu_end - cpu_start, memory_end - memory_start) == (dt.timedelta(hours=2), dt.timedelta(hours=6))
    cpu = page.context["panels"][0]
    assert [s.label for s in cpu.data.series] == ['{host="web-1"}', '{host="web-2"}', '{host="web-3"}']
    assert page.content.decode().count('class="value-line series-line"') == 4  # three peers, one memory


def test_the_query_string_gives_every_panel_one_window(signed_in, anns_dashboard, peers):
    page = signed_in.get(reverse("dashboard-detail", args=[anns_dashboard.pk]), fixed(peers))

    assert windows(page) == [(peers.start, peers.end)] * 2
    only_end = signed_in.get(
        reverse("dashboard-detail", args=[anns_dashboard.pk]), {"end": peers.end.isoformat()}
    )
    assert windows(only_end) == [
        (peers.end - dt.timedelta(hours=2), peers.end),
        (peers.end - dt.timedelta(hours=6), peers.end),
    ]


def test_a_view_following_now_links_a_permalink_that_fixes_the_window_shown(signed_in, anns_dashboard, peers):
    page = signed_in.get(reverse("dashboard-detail", args=[anns_dashboard.pk]), {"range": "1h"})
    shown = page.context["panels"][0]

    link = urlsplit(shown.permalink)
    later = signed_in.get(link.path, parse_qs(link.query))

    assert parse_qs(link.query)["range"] == ["1h"]
    assert (later.context["shown"].data.start, later.context["shown"].data.end) == (
        shown.data.start,
        shown.data.end,
    )
    assert later.context["shown"].data.rows == shown.data.rows
    pinned = page.context["pinned_query"]
    again = signed_in.get(f"{reverse('dashboard-detail', args=[anns_dashboard.pk])}?{pinned}")
    assert windows(again) == windows(page)


def test_a_bad_range_or_end_is_named_and_left_out(signed_in, anns_dashboard, peers):
    page = signed_in.get(
        reverse("dashboard-detail", args=[anns_dashboard.pk]), {"range": "fast", "end": "soon"}
    )

    errors = [str(m) for m in page.context["messages"]]
    assert any("range: 'fast' is not a duration" in e for e in errors)
    assert any("end: 'soon' is not a date and time" in e for e in errors)
    (start, end), _ = windows(page)
    assert end - start == dt.timedelta(hours=2)


def test_the_csv_holds_the_panels_buckets_as_the_points_api_gives_them(signed_in, anns_dashboard, peers):
    cpu = anns_dashboard.panels.get(title="CPU")

    download = signed_in.get(reverse("panel-export", args=[anns_dashboard.pk, cpu.pk, "csv"]), fixed(peers))

    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert download["Content-Disposition"].startswith('attachment; filename="dashboard-')
    rows = list(csv.DictReader(io.StringIO(download.content.decode())))
    by_key = {}
    for row in rows:
        by_key.setdefault(row["key"], []).append(float(row["value"]))
    # Twelve 10-minute means: web-1 at 10, web-2 alternating 20 and 21, web-3 the minutes 0..119.
    assert by_key == {
        'cpu_usage_percent{host="web-1"}': [10.0] * 12,
        'cpu_usage_percent{host="web-2"}': [20.5] * 12,
        'cpu_usage_percent{host="web-3"}': [10 * k + 4.5 for k in range(12)],
    }
    assert rows[0]["ts"] == peers.start.isoformat()
    api = signed_in.get(
        "/api/v1/points",
        {
            "match": PEERS,
            "start": peers.start.isoformat(),
            "end": peers.end.isoformat(),
            "step": "600",
            "format": "csv",
        },
    )
    assert api.status_code == 200 and b"".join(api.streaming_content) == download.content


def test_the_svg_is_a_standalone_drawing_of_each_series_in_the_pages_colours(
    signed_in, anns_dashboard, peers
):
    cpu = anns_dashboard.panels.get(title="CPU")

    download = signed_in.get(reverse("panel-export", args=[anns_dashboard.pk, cpu.pk, "svg"]), fixed(peers))

    assert download["Content-Type"] == "image/svg+xml"
    root = ElementTree.fromstring(download.content)
    assert root.tag == f"{SVG}svg" and root.get("viewBox")
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert {'{host="web-1"}', '{host="web-2"}', '{host="web-3"}', "CPU"} <= set(texts)
    styles = " ".join(path.get("style", "") for path in root.iter(f"{SVG}path"))
    for colour in PALETTE[:3]:
        assert f"stroke: {colour}" in styles
    assert f"stroke: {PALETTE[3]}" not in styles  # three series, three lines


def test_the_png_draws_each_series_in_its_colour(signed_in, anns_dashboard, peers):
    cpu = anns_dashboard.panels.get(title="CPU")

    download = signed_in.get(reverse("panel-export", args=[anns_dashboard.pk, cpu.pk, "png"]), fixed(peers))

    assert download["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(download.content))
    assert (image.format, image.size) == ("PNG", (1000, 380))
    pixels = np.asarray(image.convert("RGB")).reshape(-1, 3).astype(int)
    for colour in PALETTE[:4]:
        rgb = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)])
        # Near the colour: a line's pixels, antialiased (a flat line blends into two rows).
        near = (np.abs(pixels - rgb).sum(axis=1) < 100).sum()
        assert (near > 500) == (colour in PALETTE[:3]), (colour, near)


def test_an_unknown_export_format_is_not_found(signed_in, anns_dashboard):
    cpu = anns_dashboard.panels.first()

    assert signed_in.get(reverse("panel-export", args=[anns_dashboard.pk, cpu.pk, "pdf"])).status_code == 404


def test_the_downloads_and_the_axis_follow_the_persons_time_zone(signed_in, anns_dashboard, peers):
    signed_in.cookies[CHOICE_COOKIE] = "Asia/Tokyo"
    cpu = anns_dashboard.panels.get(title="CPU")

    page = signed_in.get(reverse("panel-detail", args=[anns_dashboard.pk, cpu.pk]), fixed(peers))
    svg = signed_in.get(reverse("panel-export", args=[anns_dashboard.pk, cpu.pk, "svg"]), fixed(peers))

    tokyo_start = peers.start.astimezone(dt.timezone(dt.timedelta(hours=9)))
    assert page.context["time_zone"] == "Asia/Tokyo"
    assert f"{tokyo_start:%Y-%m-%d %H:%M} – " in svg.content.decode() and "Asia/Tokyo" in svg.content.decode()
    assert f'value="{tokyo_start + dt.timedelta(hours=2):%Y-%m-%d %H:%M}"' in page.content.decode()


def test_a_panel_shows_at_most_a_chart_full_of_series_and_says_so(signed_in, anns_dashboard, peers):
    for i in range(MAX_SERIES):
        write_samples(make_samples("disk_used_percent", {"mount": f"/m{i:02d}"}, peers.start, 3, 60))
    write_samples(make_samples("disk_used_percent", {"mount": "/z"}, peers.start, 3, 60))
    disks = Panel.objects.create(dashboard=anns_dashboard, selector="disk_used_percent", range="now-6h")

    page = signed_in.get(reverse("panel-detail", args=[anns_dashboard.pk, disks.pk]), fixed(peers))

    data = page.context["shown"].data
    assert len(data.series) == MAX_SERIES and data.series[-1].series.labels == {
        "mount": f"/m{MAX_SERIES - 1:02d}"
    }
    assert data.notes == [
        f"the first {MAX_SERIES} of {MAX_SERIES + 1} series by name; narrow the selector to see the others"
    ]


def test_a_panel_whose_selector_matches_nothing_says_so(signed_in, anns_dashboard, peers):
    empty = Panel.objects.create(dashboard=anns_dashboard, selector="no_such_metric")

    page = signed_in.get(reverse("panel-detail", args=[anns_dashboard.pk, empty.pk]))
    png = signed_in.get(reverse("panel-export", args=[anns_dashboard.pk, empty.pk, "png"]))

    assert "No series match this selector." in page.content.decode()
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")


def test_a_dashboard_costs_a_fixed_number_of_queries_per_panel_whatever_its_series(
    signed_in, anns_dashboard, peers
):
    url = reverse("dashboard-detail", args=[anns_dashboard.pk])
    signed_in.get(url)
    with CaptureQueriesContext(connection) as three_peers:
        signed_in.get(url, fixed(peers))
    for host in ("web-4", "web-5", "web-6"):
        write_samples(make_samples("cpu_usage_percent", {"host": host}, peers.start, 30, 60))
    with CaptureQueriesContext(connection) as six_peers:
        page = signed_in.get(url, fixed(peers))

    assert len(page.context["panels"][0].data.series) == 6
    assert len(six_peers.captured_queries) == len(three_peers.captured_queries)
