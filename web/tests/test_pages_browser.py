"""The pages in a real browser: headless Chromium (Debian's package, driven by
Playwright against the system binary; nothing is downloaded) on a live
server holding the demo data with its known anomalies.

Screenshots go to a temporary folder; with TSMON_SAVE_SCREENSHOTS=1 they are
also copied to docs/screenshots/ (for the README).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone

from alerts.choices import AlertState, RuleKind, Severity
from alerts.models import Alert, AlertRule
from analytics.detection import detect_series
from analytics.forecasting import forecast_series
from analytics.jobs import store_forecast
from analytics.models import AnomalyEvent, Detector
from demo.loading import load_demo_data
from ingestion.models import Series
from ingestion.writer import write_samples
from tsmon.testing import make_samples
from web import live

CHROMIUM = os.environ.get("TSMON_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "a-long-test-password"
# The demo anomalies the test looks for, and the series that show them:
# detection runs on these two only, to keep the test short.
WATCHED = {
    "spike": 'cpu_usage_percent{host="web-1"}',
    "level_shift": 'http_request_latency_seconds{host="web-2"}',
}
DISK = 'disk_used_percent{host="db-1",mount="/var/lib/postgresql"}'

if not os.path.exists(CHROMIUM) and not os.environ.get("CI"):
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)

playwright_api = pytest.importorskip("playwright.sync_api")
sync_playwright, expect = playwright_api.sync_playwright, playwright_api.expect
expect.set_options(timeout=15_000)  # as the pages' own waits, for a loaded CI machine
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(300), pytest.mark.browser]


def seed(now: dt.datetime) -> dict:
    """The demo data, detection on the three series with injected point
    anomalies, the db-1 disk forecast, and one firing alert."""
    summary = load_demo_data(now, seed=42)
    Detector.objects.update(enabled=False)
    detector = Detector.objects.create(name="pages-demo", selector="cpu_usage_percent")
    for key in WATCHED.values():
        detect_series(detector, Series.objects.get(key=key), now)
    disk = Series.objects.get(key=DISK)
    store_forecast(disk, forecast_series(disk, now), now)
    cpu = Series.objects.get(key=WATCHED["spike"])
    rule = AlertRule.objects.create(
        name="HighCPU",
        kind=RuleKind.THRESHOLD,
        selector="cpu_usage_percent",
        threshold=90,
        severity=Severity.CRITICAL,
    )
    spike = next(a for a in summary.anomalies if a.kind == "spike")
    alert = Alert.objects.create(
        rule=rule,
        series=cpu,
        state=AlertState.FIRING,
        labels=rule.alert_labels(cpu),
        started_at=spike.start,
        fired_at=spike.start,
        value=97.2,
    )
    alice = get_user_model().objects.create_user("alice", password=PASSWORD)
    # Acknowledging needs the admin scope, which this permission gives (core.scopes).
    alice.user_permissions.add(Permission.objects.get(codename="add_apikey"))
    return {"anomalies": {a.kind: a for a in summary.anomalies}, "alert": alert}


@pytest.fixture
def browser_page(tmp_path):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 860}, device_scale_factor=1)
        context.set_default_timeout(15_000)
        page = context.new_page()
        blocked = []
        page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
        yield page, tmp_path
        assert not blocked, f"the Content-Security-Policy blocked: {blocked}"
        browser.close()


def shoot(page, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / name), full_page=True)
    if os.environ.get("TSMON_SAVE_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(folder / name, SCREENSHOTS / name)


def test_a_person_logs_in_finds_the_demo_anomalies_and_acknowledges_an_alert(
    live_server, browser_page, monkeypatch
):
    # Playwright's sync API runs an event loop in this thread; the ORM calls
    # below are still plain synchronous calls between browser steps.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    monkeypatch.setattr(live, "REFRESH_SECONDS", 1)
    now = timezone.now()
    demo = seed(now)
    page, folder = browser_page
    url = live_server.url

    page.goto(f"{url}/")
    assert "/accounts/login/" in page.url
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")

    # Overview: the firing alert, the hosts and the latest anomaly events.
    assert page.inner_text("[data-testid=n-firing]") == "1"
    assert "HighCPU" in page.inner_text("[data-fragment=alerts]")
    hosts = page.inner_text("[data-fragment=hosts]")
    assert all(host in hosts for host in ("web-1", "web-2", "web-3", "web-4", "db-1"))
    assert 'cpu_usage_percent{host="web-1"}' in page.inner_text("[data-fragment=events]")
    shoot(page, folder, "overview.png")

    # The overview refreshes itself when a new alert fires.
    latency = Series.objects.get(key=WATCHED["level_shift"])
    Alert.objects.create(
        rule=demo["alert"].rule, series=latency, state=AlertState.FIRING, labels={}, started_at=now, value=0.3
    )
    # (Locator assertions, not wait_for_function: the CSP forbids the eval it needs.)
    expect(page.locator("[data-testid=n-firing]")).to_have_text("2")

    # Series browser: search by label.
    page.click("nav >> text=Series")
    assert page.locator("[data-testid=series-table] tbody tr").count() == 25
    page.select_option("select[name='label:host']", "web-2")
    page.click("form.filters button[type=submit]")
    assert page.locator("[data-testid=series-table] tbody tr").count() == 5

    # Anomalies: each injected point anomaly was found where it was put.
    page.click("nav >> text=Anomalies")
    rows = page.locator("[data-testid=anomaly-table] tbody tr")
    listed = {}
    for kind, key in WATCHED.items():
        injected = demo["anomalies"][kind]
        # The strongest event over it: the one the default (incidents) view must list; a
        # shift can also raise weaker events beside it, which that view rightly hides.
        found = (
            AnomalyEvent.objects.filter(
                series__key=key, start__lte=injected.end, end__gte=injected.start - dt.timedelta(minutes=30)
            )
            .order_by("-peak_score")
            .first()
        )
        assert found is not None, f"the detector missed the injected {kind} on {key}"
        shown = rows.filter(has_text=key).filter(has_text=f"{found.start:%b %d %H:%M}")
        assert shown.count() == 1, f"the {kind} event on {key} is not listed"
        listed[kind] = shown
    page.screenshot(path=str(folder / "anomalies.png"), full_page=True)

    # The spike event's series page (around the event): the chart, the rolling band and the spike marked.
    listed["spike"].locator("a").first.click()
    page.wait_for_selector("[data-testid=chart] svg.plot")
    assert page.locator(".plot .rolling-band").count() == 1
    assert page.locator(".plot .anomaly-marker").count() >= 1
    assert page.locator(".plot .event-span").count() >= 1
    # The chart may mark other anomalies too; one of its markers is the spike.
    spike = demo["anomalies"]["spike"]
    marked = [
        dt.datetime.fromisoformat(marker.get_attribute("data-ts"))
        for marker in page.locator(".plot .anomaly-marker").all()
    ]
    assert any(
        spike.start - dt.timedelta(minutes=1) <= ts <= spike.end + dt.timedelta(minutes=15) for ts in marked
    ), marked
    shoot(page, folder, "series-spike.png")

    # The disk of db-1: forecast band and the capacity it is heading for.
    disk = Series.objects.get(key=DISK)
    page.goto(f"{url}/series/{disk.pk}/?range=7d")
    assert page.locator(".plot .forecast-band-0").count() == 1
    assert page.locator(".plot .threshold").count() == 1
    shoot(page, folder, "series-forecast.png")

    # A series page that follows the present shows a new point without a reload.
    cpu = Series.objects.get(key=WATCHED["spike"])
    page.goto(f"{url}/series/{cpu.pk}/?range=1h")
    page.evaluate("window.notReloaded = true")
    write_samples(make_samples("cpu_usage_percent", {"host": "web-1"}, timezone.now(), 1, values=[12.345]))
    expect(page.locator("[data-testid=last-value]")).to_have_text(re.compile(r"^12\.3"))
    assert page.evaluate("window.notReloaded") is True

    # Alerts: acknowledge the firing one.
    page.click("nav >> text=Alerts")
    row = page.locator(f"tr[data-alert='{demo['alert'].pk}']")
    row.locator("button", has_text="Acknowledge").click()
    page.wait_for_selector(".messages li.success")
    assert "by alice" in page.locator(f"tr[data-alert='{demo['alert'].pk}']").inner_text()
    demo["alert"].refresh_from_db()
    assert demo["alert"].acknowledged_by == "alice"

    # A phone: the overview still fits the screen's width.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{url}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shoot(page, folder, "overview-phone.png")

    # The API's documentation renders from tsmon's own files (no CDN).
    page.goto(f"{url}/api/docs/")
    page.wait_for_selector(".swagger-ui .opblock")
