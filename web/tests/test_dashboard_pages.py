"""Dashboards from the pages: create one, add, change, move and delete its panels,
rename and delete it (its owner only: anyone else gets a 403), and read it (anyone signed in)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from web.models import Dashboard, Panel
from web.tests.conftest import PEERS

pytestmark = pytest.mark.django_db

PANEL_FORM = {"title": "CPU", "selector": PEERS, "aggregation": "max", "step": "5m", "range": "now-6h"}


def test_a_writer_creates_a_dashboard_and_adds_two_panels_in_order(client, ann):
    client.force_login(ann)

    created = client.post(reverse("dashboard-new"), {"title": "Web hosts"})

    dashboard = Dashboard.objects.get()
    assert (dashboard.owner, dashboard.title) == (ann, "Web hosts")
    assert created.status_code == 302 and created["Location"] == reverse(
        "dashboard-edit", args=[dashboard.pk]
    )
    for fields in (PANEL_FORM, {**PANEL_FORM, "title": "", "selector": " memory_used_percent ", "step": ""}):
        added = client.post(reverse("panel-new", args=[dashboard.pk]), fields)
        assert added.status_code == 302
    panels = list(
        dashboard.panels.values_list("position", "title", "selector", "aggregation", "step", "range")
    )
    assert panels == [
        (0, "CPU", PEERS, "max", "5m", "now-6h"),
        (1, "", "memory_used_percent", "max", "", "now-6h"),
    ]
    page = client.get(reverse("dashboard-edit", args=[dashboard.pk]))
    assert [p.pk for p in page.context["panels"]] == list(dashboard.panels.values_list("pk", flat=True))


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("selector", "cpu{host=", "expected a quoted value"),
        ("selector", 'cpu{host=~"(?=a)"}', "lookaround"),
        ("range", "24h", "is not a range such as now-24h"),
        ("range", "now-400d", "longer than 366 days"),
        ("step", "fast", "is not a duration"),
        ("step", "1d", "longer than the range"),
    ],
)
def test_a_bad_panel_is_refused_with_the_reason_beside_its_field(
    client, anns_dashboard, field, value, message
):
    client.force_login(anns_dashboard.owner)

    page = client.post(reverse("panel-new", args=[anns_dashboard.pk]), {**PANEL_FORM, field: value})

    assert page.status_code == 200
    assert message in " ".join(page.context["form"].errors[field])
    assert f'data-testid="error-{field}"' in page.content.decode()
    assert anns_dashboard.panels.count() == 2


def test_the_owner_renames_the_dashboard_edits_moves_and_deletes_panels(client, anns_dashboard):
    client.force_login(anns_dashboard.owner)
    cpu, memory = anns_dashboard.panels.all()
    edit = reverse("dashboard-edit", args=[anns_dashboard.pk])

    assert client.post(edit, {"title": "Front end"}).status_code == 302
    client.post(reverse("panel-edit", args=[anns_dashboard.pk, cpu.pk]), {**PANEL_FORM, "title": "CPU max"})
    client.post(reverse("panel-move", args=[anns_dashboard.pk, memory.pk]), {"direction": "up"})

    anns_dashboard.refresh_from_db()
    assert anns_dashboard.title == "Front end"
    assert list(anns_dashboard.panels.values_list("pk", "position")) == [(memory.pk, 0), (cpu.pk, 1)]
    assert Panel.objects.get(pk=cpu.pk).title == "CPU max"

    client.post(reverse("panel-delete", args=[anns_dashboard.pk, memory.pk]))
    assert list(anns_dashboard.panels.values_list("pk", flat=True)) == [cpu.pk]
    deleted = client.post(reverse("dashboard-delete", args=[anns_dashboard.pk]))
    assert deleted["Location"] == reverse("dashboard-list")
    assert not Dashboard.objects.exists() and not Panel.objects.exists()


def _edit_requests(dashboard: Dashboard) -> list[tuple[str, str, dict]]:
    panel = dashboard.panels.first()
    ids, panel_ids = [dashboard.pk], [dashboard.pk, panel.pk]
    return [
        ("get", reverse("dashboard-edit", args=ids), {}),
        ("post", reverse("dashboard-edit", args=ids), {"title": "mine now"}),
        ("post", reverse("dashboard-delete", args=ids), {}),
        ("get", reverse("panel-new", args=ids), {}),
        ("post", reverse("panel-new", args=ids), PANEL_FORM),
        ("post", reverse("panel-edit", args=panel_ids), PANEL_FORM),
        ("post", reverse("panel-move", args=panel_ids), {"direction": "down"}),
        ("post", reverse("panel-delete", args=panel_ids), {}),
    ]


def test_anyone_but_the_owner_gets_403_on_every_change_and_nothing_changes(client, anns_dashboard, ben, cy):
    before = list(Panel.objects.values_list("pk", "position", "title", "selector"))
    for person, reason in ((ben, "Only its owner, ann, may change"), (cy, "needs the write scope")):
        client.force_login(person)
        for method, url, data in _edit_requests(anns_dashboard):
            answer = getattr(client, method)(url, data)
            assert answer.status_code == 403, (person, method, url)
            assert reason in answer.content.decode()
    anns_dashboard.refresh_from_db()
    assert anns_dashboard.title == "Web hosts"
    assert list(Panel.objects.values_list("pk", "position", "title", "selector")) == before


def test_a_reader_sees_every_dashboard_without_edit_links_and_may_not_create(
    client, anns_dashboard, cy, peers
):
    client.force_login(cy)

    listing = client.get(reverse("dashboard-list")).content.decode()
    page = client.get(reverse("dashboard-detail", args=[anns_dashboard.pk]))

    assert "Web hosts" in listing and 'data-testid="new-dashboard"' not in listing
    assert page.status_code == 200 and page.context["may_edit"] is False
    assert 'data-testid="edit-dashboard"' not in page.content.decode()
    assert client.get(reverse("dashboard-new")).status_code == 403


def test_the_pages_need_a_login(client, anns_dashboard):
    panel = anns_dashboard.panels.first()
    for url in (
        reverse("dashboard-list"),
        reverse("dashboard-detail", args=[anns_dashboard.pk]),
        reverse("panel-detail", args=[anns_dashboard.pk, panel.pk]),
        reverse("panel-export", args=[anns_dashboard.pk, panel.pk, "csv"]),
        reverse("dashboard-edit", args=[anns_dashboard.pk]),
    ):
        answer = client.get(url)
        assert answer.status_code == 302 and answer["Location"].startswith("/accounts/login/"), url


def test_a_panel_of_another_dashboard_is_not_found_under_this_one(client, anns_dashboard, ben):
    bens = Dashboard.objects.create(owner=ben, title="Ben's")
    client.force_login(ben)
    panel = anns_dashboard.panels.first()

    assert client.get(reverse("panel-detail", args=[bens.pk, panel.pk])).status_code == 404
    assert client.post(reverse("panel-delete", args=[bens.pk, panel.pk])).status_code == 404
    assert Panel.objects.filter(pk=panel.pk).exists()


def test_the_nav_links_to_dashboards(client, cy):
    client.force_login(cy)

    page = client.get(reverse("dashboard-list")).content.decode()

    assert f'<a href="{reverse("dashboard-list")}" aria-current="page">Dashboards</a>' in page
