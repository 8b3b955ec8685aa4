"""Reports built from the demo data say what is true of it.

The demo data has known injected anomalies and a data disk on db-1 that
fills; the reports are generated once for the module, the way the
scheduler makes them (request, then `process_pending_reports`).
"""

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

from ingestion import demo
from ingestion.models import ApiKey
from reports import jobs
from reports.models import Report
from reports.tests.demo_reports import END, NOW, make_demo_reports, remove_demo_reports

DATA_DISK = 'disk_used_percent{host="db-1",mount="/var/lib/postgresql"}'


@pytest.fixture(scope="module")
def reports(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        made = make_demo_reports()
        made["disks"] = jobs.generate_report(
            jobs.request_report("capacity", NOW, selector="disk_used_percent", params={"days": 14}).pk, NOW
        )
        yield made
        remove_demo_reports()


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
    first = events[0]
    assert first["chart"]["context"] and any(row[3] is not None for row in first["chart"]["flagged"])
    assert reports["anomaly"].html.count("<svg") == sum(1 for e in events if e["chart"])


def test_the_alerts_that_fired_are_listed_with_how_long_they_lasted(reports):
    table = reports["anomaly"].content["tables"]["alerts"]

    assert table["rows"] == [
        ["HighCPU", "warning", 'cpu_usage_percent{host="web-1"}', "2026-11-11T14:02:00Z", "2026-11-11T14:11:00Z", 540.0, "resolved"]
    ]  # fmt: skip


def test_the_forecast_report_shows_history_bands_horizons_and_skill(reports):
    content = reports["forecast"].content
    disk = next(s for s in content["series"] if s["key"] == DATA_DISK)

    assert [h["horizon"] for h in disk["horizons"]] == ["1h", "6h", "1d", "3d", "7d"]
    assert all(h["lo-95"] <= h["lo-80"] <= h["mean"] <= h["hi-80"] <= h["hi-95"] for h in disk["horizons"])
    assert disk["skill"]["ratio_to_seasonal_naive"] < 1
    assert disk["crossing"]["expected"] is not None
    assert content["data"]["n_series"] == 2 and content["data"]["gaps"] == []
    assert reports["forecast"].html.count("<svg") == 2


def test_a_report_is_self_contained(reports):
    for kind in ("capacity", "anomaly", "forecast"):
        html = reports[kind].html
        links = re.findall(r'(?:src|href)\s*=\s*["\']([^"\'#][^"\']*)', html) + re.findall(r"url\([^#]", html)
        assert links == [] and "<script" not in html, kind  # only references inside the page (#clip-path)


@pytest.mark.django_db
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


@pytest.mark.django_db
def test_the_api_names_a_bad_parameter(reports):
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {ApiKey.issue('admin', ['admin'])[1]}")

    bad_selector = client.post("/api/v1/reports", {"kind": "forecast", "selector": "cpu{"}, format="json")
    bad_kind = client.get("/api/v1/reports", {"kind": "weekly"})
    reader = APIClient(HTTP_AUTHORIZATION=f"Bearer {ApiKey.issue('reader', ['read'])[1]}")

    assert bad_selector.status_code == 400 and "selector" in bad_selector.data
    assert bad_kind.status_code == 400 and bad_kind.data["parameter"] == "kind"
    assert reader.post("/api/v1/reports", {"kind": "anomaly"}, format="json").status_code == 403


@pytest.mark.django_db
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


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.browser
# Reads the module's reports only, but marked so that pytest-django sets up
# the test database when this is the only test selected (`-m browser`).
@pytest.mark.django_db
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
