"""Reports built from the demo data say what is true of it.

The demo data has known injected anomalies and a data disk on db-1 that
fills; the reports are generated once for the module, the way the
scheduler makes them (request, then `process_pending_reports`).
"""

import copy
import csv as csv_module
import datetime as dt
import io
import os
import re
import shutil
import subprocess

import numpy as np
import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from demo import data as demo
from ingestion.models import ApiKey
from reports import jobs
from reports.builders.words import when
from reports.models import Report
from reports.tests.demo_reports import END, NOW, make_demo_reports, remove_demo_reports
from reports.tests.statement_checks import sentences_about, stated_spans, truth_name, values_outside_bounds

# Every test: the module's reports are made on the test database, which a
# test without the mark, run alone, would not have connected to.
pytestmark = pytest.mark.django_db

DATA_DISK = 'disk_used_percent{host="db-1",mount="/var/lib/postgresql"}'


@pytest.fixture(scope="module")
def reports(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        made = make_demo_reports()
        made["disks"] = jobs.generate_report(
            jobs.request_report("capacity", NOW, selector="disk_used_percent", params={"days": 14}).pk, NOW
        )
        yield made
        remove_demo_reports(made)


def true_time_the_data_disk_is_full() -> dt.datetime:
    """Continue the demo's noise-free formula for the data disk until it reaches 100 %."""
    data = demo.build_demo(END)
    n = len(data.timestamps_us)
    past = demo._Clock(data.start, n).business_load()
    last = 56 + 34 * (n - 1) / n + 0.4 * np.cumsum(past)[-1] / n * 14
    future = demo._Clock(END + dt.timedelta(minutes=1), 30 * 1440).business_load()
    level = last + np.cumsum(34 / n + 0.4 * 14 * future / n)
    return END + dt.timedelta(minutes=1 + int(np.argmax(level >= 100)))


def parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_the_filling_data_disk_tops_the_disk_capacity_report_with_the_true_date_in_its_interval(reports):
    report = reports["disks"]
    top = report.content["reaching"][0]
    truth = true_time_the_data_disk_is_full()

    assert report.status == "done" and top["key"] == DATA_DISK
    crossing = top["crossing"]
    assert parse(crossing["earliest"]) <= truth <= parse(crossing["latest"])
    assert abs(parse(crossing["expected"]) - truth) < dt.timedelta(hours=12)
    assert report.summary[0].startswith("disk /var/lib/postgresql on db-1 fills in 3.0 days (")
    assert report.content["tables"]["capacity"]["rows"][0][:2] == [1, DATA_DISK]


def test_the_capacity_report_over_every_series_ranks_the_data_disk_after_the_faster_memory_leak(reports):
    reaching = [s["key"] for s in reports["capacity"].content["reaching"]]

    # web-2's injected leak (30 points in 4 days) fills memory before the disk: that is true too.
    assert reaching == ['memory_used_percent{host="web-2"}', DATA_DISK]


def overlapping(items, key, start, end):
    return [i for i in items if i["key"] == key and parse(i["start"]) <= end and parse(i["end"]) >= start]


def test_the_injected_anomalies_are_in_the_anomaly_report(reports):
    content = reports["anomaly"].content
    injected = {a.kind: a for a in reports["demo"].anomalies}

    spike, shift, noisy = injected["spike"], injected["level_shift"], injected["noisy_peer"]
    assert overlapping(content["events"], 'cpu_usage_percent{host="web-1"}', spike.start, spike.end)
    assert overlapping(
        content["events"], 'http_request_latency_seconds{host="web-2"}', shift.start, shift.end
    )
    assert overlapping(content["events"], 'cpu_usage_percent{host="web-3"}', noisy.start, noisy.end)
    noisy_peer = overlapping(
        content["peer_outliers"], 'cpu_usage_percent{host="web-3"}', noisy.start, noisy.end
    )
    assert [o["direction"] for o in noisy_peer] == ["noisier than its peers"]
    leak = overlapping(
        content["peer_outliers"], 'memory_used_percent{host="web-2"}', injected["leak"].start, END
    )
    assert [o["direction"] for o in leak] == ["above its peers"]


def test_the_anomaly_report_ranks_events_and_charts_them_with_the_expected_band(reports):
    events = reports["anomaly"].content["events"]
    scores = [(e["peak_score"], e["duration_seconds"]) for e in events]

    assert scores == sorted(scores, key=lambda s: (-s[0], -s[1]))
    # Peer-group events carry no band; the strongest of the series detector's does.
    banded = [e for e in events if e["chart"] and any(row[3] is not None for row in e["chart"]["flagged"])]
    assert banded and banded[0]["chart"]["context"] and banded[0] in events[:5]
    assert reports["anomaly"].html.count("<svg") == sum(1 for e in events if e["chart"])


def test_the_alerts_that_fired_are_listed_with_how_long_they_lasted(reports):
    content = reports["anomaly"].content
    rows = content["tables"]["alerts"]["rows"]

    assert ["HighCPU", "warning", 'cpu_usage_percent{host="web-1"}', "2026-11-11T14:02:00Z", "2026-11-11T14:11:00Z", 540.0, "resolved"] in rows  # fmt: skip
    # The demo's own rules fire in the round that ends the period: the report says so, not "none fired".
    firing = sorted((r[0], r[2]) for r in rows if r[-1] == "firing")
    assert firing == [
        ("disk full within 7 days", DATA_DISK),
        ("memory above 80 %", 'memory_used_percent{host="web-2"}'),
    ]
    assert content["summary"][-1].startswith("3 alerts fired, 2 still firing at the end of the period: ")


def test_the_forecast_report_shows_history_bands_horizons_and_skill(reports):
    content = reports["forecast"].content
    disk = next(s for s in content["series"] if s["key"] == DATA_DISK)

    assert [h["horizon"] for h in disk["horizons"]] == ["1h", "6h", "1d", "3d", "7d"]
    assert all(h["lo-95"] <= h["lo-80"] <= h["mean"] <= h["hi-80"] <= h["hi-95"] for h in disk["horizons"])
    assert disk["skill"]["ratio_to_seasonal_naive"] < 1
    assert disk["crossing"]["expected"] is not None
    assert content["data"]["n_series"] == 25 and content["data"]["gaps"] == []
    assert reports["forecast"].html.count("<svg") == 25


def test_a_report_is_self_contained(reports):
    for kind in ("capacity", "anomaly", "forecast"):
        html = reports[kind].html
        links = re.findall(r'(?:src|href)\s*=\s*["\']([^"\'#][^"\']*)', html) + re.findall(r"url\([^#]", html)
        assert links == [] and "<script" not in html, kind  # only references inside the page (#clip-path)


def test_the_api_requests_lists_and_downloads_reports(reports):
    admin_key = ApiKey.issue("admin", ["admin"])[1]
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {admin_key}")

    created = client.post(
        "/api/v1/reports", {"kind": "capacity", "selector": "disk_used_percent"}, format="json"
    )
    listed = client.get("/api/v1/reports", {"kind": "capacity", "scope": "disk"})
    csv = client.get(f"/api/v1/reports/{reports['disks'].pk}/csv")
    pending = client.get(f"/api/v1/reports/{created.data['id']}/html")

    assert created.status_code == 202 and created.data["status"] == "pending"
    assert Report.objects.get(pk=created.data["id"]).period_end is not None
    assert [r["id"] for r in listed.data["results"]] == [created.data["id"], reports["disks"].pk]
    rows = list(csv_module.reader(io.StringIO(csv.content.decode())))
    assert csv.status_code == 200 and rows[0][:2] == ["rank", "series"] and rows[1][:2] == ["1", DATA_DISK]
    assert pending.status_code == 409


def test_the_api_names_a_bad_parameter(reports):
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {ApiKey.issue('admin', ['admin'])[1]}")

    bad_selector = client.post("/api/v1/reports", {"kind": "forecast", "selector": "cpu{"}, format="json")
    bad_kind = client.get("/api/v1/reports", {"kind": "weekly"})
    reader = APIClient(HTTP_AUTHORIZATION=f"Bearer {ApiKey.issue('reader', ['read'])[1]}")

    assert bad_selector.status_code == 400 and "selector" in bad_selector.data
    assert bad_kind.status_code == 400 and bad_kind.data["parameter"] == "kind"
    assert reader.post("/api/v1/reports", {"kind": "anomaly"}, format="json").status_code == 403


def test_the_pages_list_and_show_reports_behind_login(reports, client):
    report = reports["disks"]
    assert client.get("/reports/").status_code == 302
    client.force_login(User.objects.create_user("ops", password="x"))

    listing = client.get("/reports/", {"kind": "capacity"})
    page = client.get(f"/reports/{report.pk}/")
    document = client.get(f"/reports/{report.pk}/document")

    assert listing.status_code == 200 and "disk /var/lib/postgresql on db-1 fills" in listing.content.decode()
    assert page.status_code == 200 and f"/reports/{report.pk}/document" in page.content.decode()
    assert document.content.decode() == report.html


# What each report says, against the demo's truth table ---------------------------------

TRENDS = ("leak", "filling")  # injected trends towards a limit: the capacity report's subject
STATED_SLACK = dt.timedelta(hours=2)  # detection lag, and the peer detector's hourly windows


def injected(reports, *kinds):
    return [a for a in reports["demo"].anomalies if a.kind in kinds]


def test_the_anomaly_summary_names_every_injected_anomaly_once_at_its_time(reports):
    summary = reports["anomaly"].summary
    anomalies = [a for a in reports["demo"].anomalies if a.kind != "filling"]  # a trend, not an anomaly

    for anomaly in anomalies:
        about = sentences_about(summary, truth_name(anomaly))
        assert len(about) == 1, (anomaly.kind, summary)
        spans = stated_spans(about[0], END.year, NOW)
        assert spans, about
        for start, end in spans:
            assert start <= anomaly.end and end >= anomaly.start, (anomaly.kind, about[0])
            # A 3-hour shift is not a day-long anomaly.
            assert end - start <= anomaly.end - anomaly.start + STATED_SLACK, (anomaly.kind, about[0])
    leak = injected(reports, "leak")[0]
    assert "still so at the end of the period" in sentences_about(summary, truth_name(leak))[0]


def test_the_capacity_summary_names_the_injected_trends_and_only_them(reports):
    content = reports["capacity"].content
    trends = {truth_name(a) for a in injected(reports, *TRENDS)}
    filling = [s for s in content["summary"] if " fills in " in s or " reaches " in s]

    assert {s.split(" fills in ")[0] for s in filling} == trends
    for section in content["reaching"]:
        (sentence,) = sentences_about(content["summary"], section["name"])
        crossing = section["crossing"]
        assert f" in {crossing['days']:.1f} days (" in sentence and when(crossing["expected"]) in sentence
    disk = next(s for s in content["reaching"] if s["key"] == DATA_DISK)["crossing"]
    assert parse(disk["earliest"]) <= true_time_the_data_disk_is_full() <= parse(disk["latest"])
    leak = next(s for s in content["reaching"] if s["key"] == 'memory_used_percent{host="web-2"}')
    latest = leak["crossing"]["latest"] or leak["horizon_end"]
    assert parse(leak["crossing"]["earliest"]) <= true_time_the_leak_fills() <= parse(latest)


def test_may_reach_is_said_only_with_the_probability_behind_it(reports):
    for kind in ("capacity", "forecast"):
        summary = reports[kind].summary
        for sentence in summary:
            if "interval reaches" in sentence or "may reach" in sentence:
                assert re.search(r"a chance of [0-9.]+ % or more", sentence), sentence
        html = reports[kind].html
        assert "may reach" not in html and "only if they follow" not in html, kind


def test_the_forecast_summary_counts_what_forecast_each_series(reports):
    content = reports["forecast"].content
    counts = re.search(
        r"(\d+) of (\d+) series forecast: (\d+) by a model that beat seasonal naive .*, (\d+) by seasonal naive itself",
        content["summary"][-1],
    )
    series = content["series"]

    assert counts and int(counts[2]) == len(series) == 25
    assert int(counts[4]) == sum(1 for s in series if s["method"] == "seasonal naive (the last day repeated)")
    assert int(counts[3]) + int(counts[4]) <= int(counts[1])
    filling = {s.split(" fills in ")[0] for s in content["summary"] if " fills in " in s}
    assert filling == {truth_name(a) for a in injected(reports, *TRENDS)}


@pytest.mark.parametrize("kind", ["capacity", "anomaly", "forecast"])
def test_no_report_states_a_value_its_series_cannot_take(reports, kind):
    assert values_outside_bounds(reports[kind].content) == []


def test_the_bounds_check_fails_on_an_impossible_value(reports):
    content = copy.deepcopy(reports["forecast"].content)
    disk = next(s for s in content["series"] if s["key"] == DATA_DISK)
    disk["forecast"][-1]["hi-95"] = 100.1
    content["summary"].append("cpu on web-1 reaches 110.1 % tomorrow.")

    problems = values_outside_bounds(content)

    assert problems == [f"{DATA_DISK}: 100.1", "'cpu on web-1 reaches 110.1 % tomorrow.': 110.1 %"]


def true_time_the_leak_fills() -> dt.datetime:
    """Continue web-2's noise-free memory (the daily load and the injected straight leak) to 100 %."""
    data = demo.build_demo(END)
    leak = injected({"demo": data}, "leak")[0]
    rate = 30 / ((leak.end - leak.start) / dt.timedelta(minutes=1))  # points per minute
    future = demo._Clock(END + dt.timedelta(minutes=1), 30 * 1440).business_load()
    level = 52 + 6 * future + 30 + rate * np.arange(1, len(future) + 1)
    return END + dt.timedelta(minutes=1 + int(np.argmax(level >= 100)))


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.browser
# Reads the module's reports only, but marked so that pytest-django sets up
# the test database when this is the only test selected (`-m browser`).
@pytest.mark.skipif(chromium() is None and not os.environ.get("CI"), reason="needs Debian's chromium package")
def test_a_report_displays_its_charts_in_headless_chromium_without_network(reports, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(reports["anomaly"].html + reports["capacity"].html.split("<body>", 1)[1])
    command = [
        chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
        "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
    ]  # fmt: skip

    dom = subprocess.run(
        [*command, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=60
    ).stdout
    shot = tmp_path / "report.png"
    subprocess.run(
        [*command, f"--screenshot={shot}", "--window-size=1200,2400", page.as_uri()],
        capture_output=True,
        timeout=60,
    )

    assert (
        dom.count("<svg")
        == reports["anomaly"].html.count("<svg") + reports["capacity"].html.count("<svg")
        > 2
    )
    assert "disk /var/lib/postgresql on db-1 fills in" in dom
    assert shot.stat().st_size > 50_000  # a blank page is a few kilobytes
    if os.environ.get("TSMON_KEEP_SCREENSHOT"):
        shutil.copy(shot, os.environ["TSMON_KEEP_SCREENSHOT"])


A4_CSS_PIXELS = (794, 1123)  # 210 × 297 mm at 96 px per inch


@pytest.mark.browser
@pytest.mark.skipif(chromium() is None and not os.environ.get("CI"), reason="needs Debian's chromium package")
def test_every_report_table_fits_the_width_of_a_printed_page(reports):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": A4_CSS_PIXELS[0], "height": A4_CSS_PIXELS[1]})
        page.emulate_media(media="print")
        overflowing = {}
        for kind in ("capacity", "anomaly", "forecast"):
            page.set_content(reports[kind].html)
            overflowing[kind] = page.evaluate(
                """() => [...document.querySelectorAll('table')]
                    .filter(t => t.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
                    .map(t => t.rows[0].innerText)"""
            )
        browser.close()

    assert overflowing == {"capacity": [], "anomaly": [], "forecast": []}
