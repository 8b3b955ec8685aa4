"""The on-call workflow in a real browser (headless Chromium, as
test_pages_browser.py): silencing an alert and a series, marking an anomaly
event a false positive, writing an alert rule with its 14-day preview, and
the pages in the browser's time zone or a chosen one.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone

from alerts.choices import AlertState, RuleKind
from alerts.models import Alert, AlertRule, Silence
from analytics.detection import detect_series
from analytics.models import AnomalyEvent, Detector, FalsePositive
from core.time_zones import BROWSER_COOKIE
from demo.loading import load_demo_data
from ingestion.models import Series
from web.tests import test_pages_browser as pages_browser

PASSWORD, WATCHED, expect, shoot = (
    pages_browser.PASSWORD,
    pages_browser.WATCHED,
    pages_browser.expect,
    pages_browser.shoot,
)
# The browser, as the other browser test has it.
browser_page = pages_browser.browser_page

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(300), pytest.mark.browser]


@pytest.fixture(autouse=True)
def async_unsafe(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the ORM calls
    # between browser steps are still plain synchronous calls.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def on_call_person() -> None:
    """Someone with the admin scope (core.scopes), who may silence, judge and write rules."""
    olga = get_user_model().objects.create_user("olga", password=PASSWORD)
    olga.user_permissions.add(Permission.objects.get(codename="add_apikey"))


def log_in(page, url: str, then: str) -> None:
    page.goto(f"{url}{then}")
    page.fill("input[name=username]", "olga")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}{then}")


def demo_with_spike(now: dt.datetime):
    """The demo data and its web-1 CPU spike, found by a detector on that series."""
    summary = load_demo_data(now, seed=42)
    Detector.objects.update(enabled=False)
    detector = Detector.objects.create(name="oncall-demo", selector="cpu_usage_percent")
    cpu = Series.objects.get(key=WATCHED["spike"])
    detect_series(detector, cpu, now)
    return cpu, next(a for a in summary.anomalies if a.kind == "spike")


def test_silencing_an_alert_and_a_series_from_the_pages(live_server, browser_page):
    page, folder = browser_page
    on_call_person()
    load_demo_data(timezone.now(), seed=42)
    cpu = Series.objects.get(key=WATCHED["spike"])
    rule = AlertRule.objects.create(
        name="HighCPU", kind=RuleKind.THRESHOLD, selector="cpu_usage_percent", threshold=90
    )
    alert = Alert.objects.create(
        rule=rule, series=cpu, state=AlertState.FIRING, labels=rule.alert_labels(cpu),
        started_at=timezone.now(), fired_at=timezone.now(), value=97.2,
    )  # fmt: skip
    log_in(page, live_server.url, "/alerts/")

    row = page.locator(f"tr[data-alert='{alert.pk}']")
    row.locator("summary", has_text="Silence…").click()
    row.locator("select[name=duration]").select_option("1h")
    row.locator("input[name=reason]").fill("deploying web-1")
    row.locator("button", has_text="Silence").click()
    expect(page.locator(".messages li.success")).to_contain_text("Silenced HighCPU")
    expect(page.locator(f"tr[data-alert='{alert.pk}'] [data-testid=silenced]")).to_contain_text(
        "deploying web-1"
    )
    alert.refresh_from_db()
    assert alert.silenced_by.comment == "deploying web-1"
    shoot(page, folder, "alert-silenced.png")

    # The whole series, from its own silence page.
    page.goto(f"{live_server.url}/series/{cpu.pk}/silence/")
    form = page.locator("[data-testid=silence-series-form]")
    form.locator("select[name=duration]").select_option("1d")
    form.locator("input[name=reason]").fill("web-1 is being rebuilt")
    form.locator("button[type=submit]").click()
    expect(page.locator("[data-testid=series-silences]")).to_contain_text("web-1 is being rebuilt")
    assert Silence.objects.count() == 2

    # Every silence, and "expire now".
    page.goto(f"{live_server.url}/alerts/silences/")
    first = Silence.objects.get(comment="deploying web-1")
    page.locator(f"tr[data-silence='{first.pk}'] button", has_text="Expire now").click()
    expect(page.locator(".messages li.success")).to_contain_text("Expired")
    expect(page.locator("[data-testid=ended-silences]")).to_contain_text("deploying web-1")
    assert page.locator("[data-testid=silence-table] tbody tr").count() == 1


def test_marking_the_spike_a_false_positive_lists_it_as_one(live_server, browser_page):
    page, folder = browser_page
    on_call_person()
    now = timezone.now()
    cpu, spike = demo_with_spike(now)
    event = AnomalyEvent.objects.filter(
        series=cpu, start__lte=spike.end, end__gte=spike.start - dt.timedelta(minutes=30)
    ).first()
    assert event is not None, "the detector missed the demo spike"
    log_in(page, live_server.url, "/anomalies/?range=14d")

    row = page.locator(f"tr[data-event='{event.pk}']")
    row.locator("summary", has_text="False positive…").click()
    row.locator("input[name=reason]").fill("a load test")
    row.locator("button", has_text="Mark as false positive").click()
    expect(page.locator(".messages li.success")).to_contain_text("as a false positive")
    marked = page.locator(f"tr[data-event='{event.pk}'] [data-testid=false-positive]")
    expect(marked).to_have_text("false positive")
    assert FalsePositive.objects.get().reason == "a load test"
    shoot(page, folder, "anomalies-false-positive.png")

    page.select_option("select[name=false_positives]", "hide")
    page.click("form.filters button[type=submit]")
    expect(page.locator(f"tr[data-event='{event.pk}']")).to_have_count(0)
    page.select_option("select[name=false_positives]", "only")
    page.click("form.filters button[type=submit]")
    expect(page.locator("[data-testid=anomaly-table] tbody tr")).to_have_count(1)


def test_writing_a_rule_with_its_14_day_preview(live_server, browser_page):
    page, folder = browser_page
    on_call_person()
    summary = load_demo_data(timezone.now(), seed=42)
    spike = next(a for a in summary.anomalies if a.kind == "spike")
    log_in(page, live_server.url, "/alerts/")

    page.click("text=Alert rules")
    page.click("text=New rule")
    page.fill("input[name=name]", "web-1 CPU pinned")
    page.select_option("select[name=kind]", "threshold")
    page.fill("input[name=selector]", WATCHED["spike"])
    page.select_option("select[name=operator]", ">")
    page.fill("input[name=threshold]", "90")
    page.fill("input[name=for_seconds]", "2m")
    page.click("button[value=preview]")

    preview = page.locator("[data-testid=rule-preview]")
    expect(preview.locator("[data-testid=preview-summary]")).to_contain_text("would have fired 1 time")
    assert preview.locator(".preview-strip rect.firing").count() == 1
    fired = preview.locator("[data-testid=preview-table] tbody tr").first.inner_text()
    assert f"{spike.start:%b %d}" in fired
    assert not AlertRule.objects.exists()
    shoot(page, folder, "rule-preview.png")

    page.click("button[value=save]")
    expect(page.locator(".messages li.success")).to_contain_text("Saved the rule web-1 CPU pinned")
    rule = AlertRule.objects.get()
    assert (rule.threshold, rule.for_seconds) == (90, 120)

    # Editing: a limit the spike never reached fires never.
    page.fill("input[name=threshold]", "99")
    page.click("button[value=preview]")
    expect(page.locator("[data-testid=preview-summary]")).to_contain_text("would have fired 0 times")
    page.fill("input[name=selector]", "cpu{host=")
    page.click("button[value=save]")
    expect(page.locator("[data-testid=error-selector]")).to_be_visible()
    rule.refresh_from_db()
    assert rule.threshold == 90 and rule.selector == WATCHED["spike"]


@pytest.fixture
def tokyo_page():
    """A browser whose own time zone is Asia/Tokyo (UTC+9, no daylight saving)."""
    with pages_browser.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=pages_browser.CHROMIUM, args=pages_browser.LAUNCH_ARGS
        )
        context = browser.new_context(viewport={"width": 1280, "height": 860}, timezone_id="Asia/Tokyo")
        context.set_default_timeout(15_000)
        yield context.new_page()
        browser.close()


def test_the_pages_follow_the_browsers_time_zone_or_the_one_chosen(live_server, tokyo_page, settings):
    settings.TIME_ZONE = "UTC"
    page = tokyo_page
    on_call_person()
    start = (timezone.now() - dt.timedelta(days=2)).replace(second=0, microsecond=0)
    series = Series.objects.create(metric="cpu_usage_percent", labels={"host": "web-1"}, key=WATCHED["spike"])
    event = AnomalyEvent.objects.create(
        detector=Detector.objects.create(name="d", selector="cpu_usage_percent"), series=series, start=start,
        end=start + dt.timedelta(minutes=6), peak_score=0.95, peak_ts=start, n_points=6,
    )  # fmt: skip
    row = page.locator(f"tr[data-event='{event.pk}'] td.when").first

    def shown_in(zone: str) -> str:
        return start.astimezone(ZoneInfo(zone)).strftime("%b %d %H:%M")

    log_in(page, live_server.url, "/anomalies/")
    expect(page.locator("[data-testid=zone]")).to_have_text("Asia/Tokyo")
    expect(row).to_have_text(shown_in("Asia/Tokyo"))
    assert shown_in("Asia/Tokyo") != shown_in("UTC")

    page.click("[data-testid=zone]")
    page.select_option("select[name=time_zone]", "America/New_York")
    page.click("[data-testid=zone-form] button[type=submit]")
    expect(page.locator(".messages li.success")).to_contain_text("America/New_York")
    page.goto(f"{live_server.url}/anomalies/")
    expect(row).to_have_text(shown_in("America/New_York"))

    page.goto(f"{live_server.url}/preferences/")
    page.select_option("select[name=time_zone]", "")
    page.click("[data-testid=zone-form] button[type=submit]")
    expect(page.locator("[data-testid=zone-now]")).to_contain_text("Asia/Tokyo")
    page.goto(f"{live_server.url}/anomalies/")
    expect(row).to_have_text(shown_in("Asia/Tokyo"))

    # A first page drawn before the browser told its zone is drawn again, once, in it.
    page.context.clear_cookies(name=BROWSER_COOKIE)
    page.goto(f"{live_server.url}/anomalies/")
    expect(page.locator("[data-testid=zone]")).to_have_text("Asia/Tokyo")
    expect(row).to_have_text(shown_in("Asia/Tokyo"))
