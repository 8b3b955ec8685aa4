"""The dashboards API: read with the read scope, write with the write scope and
as the owner only; nested panels changed in place; each refusal with its status and reason."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from core.scopes import ApiScope
from ingestion.models import ApiKey
from web.dashboard_writer import MAX_PANELS
from web.models import Dashboard, Panel
from web.tests.conftest import PEERS

pytestmark = pytest.mark.django_db

BODY = {
    "title": "Web hosts",
    "panels": [
        {"title": "CPU", "selector": PEERS, "aggregation": "max", "step": "5m", "range": "now-6h"},
        {"selector": "memory_used_percent"},
    ],
}


def key_client(scopes: list[str], person=None) -> APIClient:
    _, key = ApiKey.issue(f"key-{len(scopes)}-{person}", scopes, created_by=person)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def test_a_write_key_creates_a_dashboard_owned_by_the_person_who_made_the_key(ann):
    answer = key_client([ApiScope.WRITE], ann).post("/api/v1/dashboards", BODY, format="json")

    assert answer.status_code == 201, answer.data
    dashboard = Dashboard.objects.get()
    assert dashboard.owner == ann and answer.data["owner"] == "ann" and answer.data["id"] == dashboard.pk
    assert [
        (p["position"], p["title"], p["aggregation"], p["step"], p["range"]) for p in answer.data["panels"]
    ] == [
        (0, "CPU", "max", "5m", "now-6h"),
        (1, "", "mean", "", "now-24h"),
    ]
    assert list(dashboard.panels.values_list("selector", flat=True)) == [PEERS, "memory_used_percent"]
    assert answer.data["url"] == f"/dashboards/{dashboard.pk}/"
    assert (
        answer.data["panels"][0]["url"] == f"/dashboards/{dashboard.pk}/panels/{dashboard.panels.first().pk}/"
    )


def test_a_read_key_reads_every_dashboard_with_its_panels_in_a_fixed_number_of_queries(anns_dashboard, ben):
    reader = key_client([ApiScope.READ])
    Dashboard.objects.create(owner=ben, title="Ben's")
    reader.get("/api/v1/dashboards")  # the key is remembered from the first request on

    with CaptureQueriesContext(connection) as few:
        listing = reader.get("/api/v1/dashboards")
    Dashboard.objects.create(owner=ben, title="More")
    Panel.objects.create(dashboard=Dashboard.objects.get(title="More"), selector="up")
    with CaptureQueriesContext(connection) as more:
        reader.get("/api/v1/dashboards")

    assert listing.status_code == 200
    assert [d["title"] for d in listing.data["results"]] == ["Ben's", "Web hosts"]
    assert [p["selector"] for p in listing.data["results"][1]["panels"]] == [PEERS, "memory_used_percent"]
    assert len(more.captured_queries) == len(few.captured_queries)


def test_a_panels_points_link_gives_its_numbers_from_the_points_api(anns_dashboard, peers):
    reader = key_client([ApiScope.READ])
    panel = reader.get(f"/api/v1/dashboards/{anns_dashboard.pk}").data["panels"][0]

    answer = reader.get(panel["points"], HTTP_ACCEPT="application/json")

    assert panel["points"].startswith("/api/v1/points?match=")
    assert answer.status_code == 200
    points = json.loads(b"".join(answer.streaming_content))
    assert (points["step"], points["agg"]) == ("600", "mean")
    series = {s["labels"]["host"]: [value for _, value in s["points"]] for s in points["series"]}
    assert series.keys() == {"web-1", "web-2", "web-3"}
    # Its own range ends now, an hour after the points do: buckets of the last hour of them.
    assert set(series["web-1"]) == {10.0} and all(20 <= v <= 21 for v in series["web-2"])


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_read_key_may_not_write(anns_dashboard, ann, method):
    url = "/api/v1/dashboards" if method == "post" else f"/api/v1/dashboards/{anns_dashboard.pk}"

    answer = getattr(key_client([ApiScope.READ], ann), method)(url, BODY, format="json")

    assert answer.status_code == 403
    assert "lacks the scope" in answer.data["detail"]
    assert list(Dashboard.objects.values_list("title", flat=True)) == ["Web hosts"]


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_only_the_owner_changes_or_deletes_a_dashboard(anns_dashboard, ben, method):
    answer = getattr(key_client([ApiScope.ADMIN], ben), method)(
        f"/api/v1/dashboards/{anns_dashboard.pk}", BODY, format="json"
    )

    assert answer.status_code == 403
    assert answer.data["detail"] == "Only its owner, ann, may change this dashboard."
    assert Dashboard.objects.get().title == "Web hosts" and Panel.objects.count() == 2


def test_a_key_that_no_person_created_reads_but_owns_nothing(anns_dashboard):
    nobodys = key_client([ApiScope.WRITE, ApiScope.READ])

    assert nobodys.get(f"/api/v1/dashboards/{anns_dashboard.pk}").status_code == 200
    answer = nobodys.post("/api/v1/dashboards", BODY, format="json")
    assert answer.status_code == 403 and "no person created" in answer.data["detail"]
    assert Dashboard.objects.count() == 1


def test_a_person_signed_in_writes_with_the_write_scope_only(ann, cy):
    client = APIClient()
    client.force_login(cy)
    assert client.post("/api/v1/dashboards", BODY, format="json").status_code == 403
    client.force_login(ann)
    assert client.post("/api/v1/dashboards", BODY, format="json").status_code == 201
    assert Dashboard.objects.get().owner == ann


def test_panels_with_their_ids_change_in_place_new_ones_are_added_and_the_rest_deleted(anns_dashboard):
    cpu, memory = anns_dashboard.panels.all()
    body = {
        "title": "Front end",
        "panels": [
            {"selector": "up", "range": "now-1h"},
            {"id": cpu.pk, "title": "CPU peak", "selector": PEERS, "aggregation": "max"},
        ],
    }

    answer = key_client([ApiScope.WRITE], anns_dashboard.owner).put(
        f"/api/v1/dashboards/{anns_dashboard.pk}", body, format="json"
    )

    assert answer.status_code == 200, answer.data
    panels = list(
        anns_dashboard.panels.values_list("pk", "position", "title", "selector", "aggregation", "step")
    )
    new = panels[0][0]
    assert panels == [(new, 0, "", "up", "mean", ""), (cpu.pk, 1, "CPU peak", PEERS, "max", "")]
    assert not Panel.objects.filter(pk=memory.pk).exists()
    assert [p["id"] for p in answer.data["panels"]] == [new, cpu.pk]


def test_a_patch_without_panels_keeps_them(anns_dashboard):
    before = list(anns_dashboard.panels.values_list("pk", "selector"))

    answer = key_client([ApiScope.WRITE], anns_dashboard.owner).patch(
        f"/api/v1/dashboards/{anns_dashboard.pk}", {"title": "Renamed"}, format="json"
    )

    assert answer.status_code == 200 and answer.data["title"] == "Renamed"
    assert list(anns_dashboard.panels.values_list("pk", "selector")) == before


@pytest.mark.parametrize(
    "panels, errors",
    [
        ([{"selector": "cpu{host="}], {"0": {"selector": ["expected a quoted value at position 10"]}}),
        (
            [{"selector": "up"}, {"selector": 'up{job=~"a\\\\b"}'}],
            {
                "1": {
                    "selector": [
                        "the regular expression for 'job' uses \\b: a word boundary to RE2 and Python, a backspace to PostgreSQL"
                    ]
                }
            },
        ),
        ([{"selector": "up", "range": "now+1h"}], {"0": {"range": ["a range such as now-24h or now-7d"]}}),
        ([{"selector": "up", "range": "now-2y"}], {"0": {"range": ["a range such as now-24h or now-7d"]}}),
        ([{"selector": "up", "range": "now-400d"}], {"0": {"range": ["'now-400d' is longer than 366 days"]}}),
        ([{"selector": "up", "range": " now-1h"}], {"0": {"range": ["a range such as now-24h or now-7d"]}}),
        (
            [{"selector": "up", "step": "0"}],
            {"0": {"step": ["'0' must be a positive duration of at most 10 years"]}},
        ),
        ([{"selector": "up", "step": "2d"}], {"0": {"step": ["'2d' is longer than the range, now-24h"]}}),
        (
            [{"selector": "up", "aggregation": "median"}],
            {"0": {"aggregation": ['"median" is not a valid choice.']}},
        ),
        ([{"selector": "up", "title": 7}], {"0": {"title": ["Not a valid string."]}}),
        ([{"selector": "up", "id": 999999}], ["999999 is not the id of a panel of this dashboard"]),
        ([{"selector": "up"}] * (MAX_PANELS + 1), [f"a dashboard holds at most {MAX_PANELS} panels"]),
    ],
)
def test_a_bad_panel_is_a_400_naming_the_panel_and_field_and_nothing_is_stored(ann, panels, errors):
    answer = key_client([ApiScope.WRITE], ann).post(
        "/api/v1/dashboards", {"title": "Web", "panels": panels}, format="json"
    )

    assert answer.status_code == 400
    assert answer.json() == {"panels": errors}
    assert not Dashboard.objects.exists() and not Panel.objects.exists()


def test_a_panel_of_another_dashboard_cannot_be_taken_over(anns_dashboard, ann):
    other = Dashboard.objects.create(owner=ann, title="Other")
    stolen = anns_dashboard.panels.first()

    answer = key_client([ApiScope.WRITE], ann).put(
        f"/api/v1/dashboards/{other.pk}",
        {"title": "Other", "panels": [{"id": stolen.pk, "selector": "up"}]},
        format="json",
    )

    assert answer.status_code == 400
    assert answer.json() == {"panels": [f"{stolen.pk} is not the id of a panel of this dashboard"]}
    assert Panel.objects.get(pk=stolen.pk).dashboard == anns_dashboard


def test_a_title_of_spaces_or_none_is_refused(ann):
    writer = key_client([ApiScope.WRITE], ann)

    assert writer.post("/api/v1/dashboards", {"title": "  "}, format="json").json() == {
        "title": ["This field may not be blank."]
    }
    assert writer.post("/api/v1/dashboards", {}, format="json").json() == {
        "title": ["This field is required."]
    }
    assert not Dashboard.objects.exists()


def test_the_owner_deletes_a_dashboard_with_its_panels(anns_dashboard):
    answer = key_client([ApiScope.WRITE], anns_dashboard.owner).delete(
        f"/api/v1/dashboards/{anns_dashboard.pk}"
    )

    assert answer.status_code == 204
    assert not Dashboard.objects.exists() and not Panel.objects.exists()


def test_an_unknown_dashboard_is_a_404_in_the_error_schema(ann):
    answer = key_client([ApiScope.READ], ann).get("/api/v1/dashboards/12345")

    assert answer.status_code == 404 and answer.json() == {"detail": "No Dashboard matches the given query."}


def test_a_patch_gives_each_of_its_panels_whole(anns_dashboard):
    # Found by Schemathesis: a PATCH made the nested panels partial, and a panel without a selector was a 500.
    answer = key_client([ApiScope.WRITE], anns_dashboard.owner).patch(
        f"/api/v1/dashboards/{anns_dashboard.pk}", {"panels": [{"title": "no selector"}]}, format="json"
    )

    assert answer.status_code == 400
    assert answer.json() == {"panels": {"0": {"selector": ["This field is required."]}}}
    assert anns_dashboard.panels.count() == 2


def test_an_empty_step_is_chosen_from_the_range(ann):
    answer = key_client([ApiScope.WRITE], ann).post(
        "/api/v1/dashboards", {"title": "Web", "panels": [{"selector": "up", "step": ""}]}, format="json"
    )

    assert answer.status_code == 201 and answer.data["panels"][0]["step"] == ""
    assert "step=300&" in answer.data["panels"][0]["points"]  # 24 h in 5-minute buckets: 288, at most 600
