"""Dashboards in a real browser (headless Chromium, as web/tests/test_pages_browser.py)
on the demo data: create a dashboard, add two panels from the pages, see the
peers on one chart, open a panel's permalink and download its PNG."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from demo.loading import load_demo_data
from web.models import Dashboard
from web.tests import test_pages_browser as pages_browser

WEB_CPU = 'cpu_usage_percent{host=~"web-.*"}'

PASSWORD, expect, shoot = pages_browser.PASSWORD, pages_browser.expect, pages_browser.shoot
# The browser, as the other browser tests have it.
browser_page = pages_browser.browser_page

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(300), pytest.mark.browser]


@pytest.fixture(autouse=True)
def async_unsafe(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the ORM calls
    # between browser steps are still plain synchronous calls.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def log_in(page, url: str, django_user_model) -> None:
    dora = django_user_model.objects.create_user("dora", password=PASSWORD)
    dora.user_permissions.add(Permission.objects.get(codename="add_point"))  # the write scope
    page.goto(f"{url}/dashboards/")
    page.fill("input[name=username]", "dora")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/dashboards/")


def add_panel(page, title: str, selector: str, aggregation: str, range_text: str) -> None:
    page.click("[data-testid=add-panel]")
    form = page.locator("[data-testid=panel-form]")
    form.locator("input[name=title]").fill(title)
    form.locator("input[name=selector]").fill(selector)
    form.locator("select[name=aggregation]").select_option(aggregation)
    form.locator("input[name=range]").fill(range_text)
    form.locator("button[type=submit]").click()
    expect(page.locator(".messages li.success")).to_contain_text(f"Added the panel {title}")


def test_a_dashboard_of_two_panels_and_a_panels_permalink(live_server, browser_page, django_user_model):
    page, folder = browser_page
    load_demo_data(timezone.now(), seed=42)
    url = live_server.url
    log_in(page, url, django_user_model)

    page.click("[data-testid=new-dashboard]")
    page.fill("input[name=title]", "Web hosts")
    page.click("[data-testid=dashboard-form] button[type=submit]")
    expect(page.locator(".messages li.success")).to_contain_text("Created the dashboard Web hosts")
    add_panel(page, "CPU of the web hosts", WEB_CPU, "mean", "now-3d")
    add_panel(page, "Memory (max)", "memory_used_percent", "max", "now-7d")
    expect(page.locator("[data-testid=panel-table] tbody tr")).to_have_count(2)
    shoot(page, folder, "dashboard-edit.png")
    dashboard = Dashboard.objects.get()
    assert [(p.title, p.aggregation) for p in dashboard.panels.all()] == [
        ("CPU of the web hosts", "mean"),
        ("Memory (max)", "max"),
    ]

    page.click("[data-testid=view-dashboard]")
    panels = page.locator("[data-testid=panel]")
    expect(panels).to_have_count(2)
    cpu = panels.nth(0)
    expect(cpu.locator("h2")).to_have_text("CPU of the web hosts")
    expect(cpu.locator("svg.plot path.series-line")).to_have_count(4)  # the peers on one chart
    hosts = [f'{{host="web-{i}"}}' for i in range(1, 5)]
    expect(cpu.locator(".legend .key")).to_have_text(hosts)
    expect(panels.nth(1).locator("svg.plot path.series-line")).to_have_count(5)  # and db-1
    shoot(page, folder, "dashboard.png")

    cpu.locator("[data-testid=panel-permalink]").click()
    page.wait_for_url("**/panels/**")
    link = urlsplit(page.url)
    assert link.path == f"/dashboards/{dashboard.pk}/panels/{dashboard.panels.first().pk}/"
    assert "end" in parse_qs(link.query)  # the window shown, fixed
    expect(page.locator("h1")).to_have_text("CPU of the web hosts")
    expect(page.locator("svg.plot path.series-line")).to_have_count(4)
    expect(page.locator("[data-testid=panel-series] tbody tr")).to_have_count(4)
    window = page.locator("[data-testid=panel] p.muted").first.inner_text()
    shoot(page, folder, "dashboard-panel.png")
    page.reload()  # a permalink shows the same window when opened again
    expect(page.locator("[data-testid=panel] p.muted").first).to_have_text(window)

    with page.expect_download() as download:
        page.click("[data-testid=export-png]")
    path = download.value.path()
    with open(path, "rb") as png:
        assert png.read(8) == b"\x89PNG\r\n\x1a\n"
    assert download.value.suggested_filename.endswith(".png")
