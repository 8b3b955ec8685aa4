"""False-positive marks through the API: made from an event with the admin
scope, listed and filtered with the read scope, refused twice, taken back."""

import pytest
from rest_framework.test import APIClient

from analytics.models import FalsePositive
from ingestion.models import ApiKey
from web.tests.test_anomaly_pages import make_event, make_series

pytestmark = pytest.mark.django_db


def client_with(*scopes: str) -> APIClient:
    _, key = ApiKey.issue(f"key-{'-'.join(scopes)}", list(scopes))
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return api


def test_marking_an_event_stores_its_stretch_who_and_why_and_the_event_list_shows_it():
    event = make_event(make_series("web-1"), 3)
    admin = client_with("admin")

    made = admin.post("/api/v1/false-positives", {"event": event.pk, "reason": "deploy"}, format="json")

    assert made.status_code == 201, made.data
    mark = FalsePositive.objects.get()
    assert made.data["id"] == mark.pk and made.data["event"] == event.pk
    assert (mark.series_id, mark.start, mark.end) == (event.series_id, event.start, event.end)
    assert mark.reason == "deploy" and mark.marked_by == "key:key-admin" and mark.detector_name == "test"
    assert made.data["series_key"] == event.series.key
    shown = client_with("read").get(f"/api/v1/anomaly-events/{event.pk}").data
    assert shown["false_positive"]["id"] == mark.pk and shown["false_positive"]["reason"] == "deploy"


def test_the_list_is_newest_first_and_filters_by_series_id_or_selector():
    web1, web2 = make_series("web-1"), make_series("web-2")
    admin = client_with("admin")
    first = admin.post("/api/v1/false-positives", {"event": make_event(web1, 5).pk}, format="json").data
    second = admin.post("/api/v1/false-positives", {"event": make_event(web2, 4).pk}, format="json").data
    reader = client_with("read")

    every = reader.get("/api/v1/false-positives").data["results"]
    by_id = reader.get("/api/v1/false-positives", {"series": web1.pk}).data["results"]
    by_selector = reader.get("/api/v1/false-positives", {"match": 'cpu_usage_percent{host="web-2"}'}).data
    bad = reader.get("/api/v1/false-positives", {"match": "cpu{"})

    assert [m["id"] for m in every] == [second["id"], first["id"]]
    assert [m["id"] for m in by_id] == [first["id"]]
    assert [m["id"] for m in by_selector["results"]] == [second["id"]]
    assert bad.status_code == 400 and bad.data["parameter"] == "match"


def test_a_second_mark_is_a_409_and_bad_bodies_are_400s_naming_the_field():
    event = make_event(make_series("web-1"), 3)
    admin = client_with("admin")
    admin.post("/api/v1/false-positives", {"event": event.pk}, format="json")

    again = admin.post("/api/v1/false-positives", {"event": event.pk, "reason": "again"}, format="json")
    unknown = admin.post("/api/v1/false-positives", {"event": 999_999}, format="json")
    missing = admin.post("/api/v1/false-positives", {"reason": "no event"}, format="json")
    too_long = admin.post(
        "/api/v1/false-positives",
        {"event": make_event(event.series, 1).pk, "reason": "x" * 501},
        format="json",
    )

    assert again.status_code == 409 and "already marked" in again.data["detail"]
    assert unknown.status_code == 400 and "event" in unknown.data
    assert missing.status_code == 400 and "event" in missing.data
    assert too_long.status_code == 400 and "reason" in too_long.data
    assert FalsePositive.objects.count() == 1 and FalsePositive.objects.get().reason == ""


def test_writes_need_the_admin_scope_and_reads_the_read_scope():
    event = make_event(make_series("web-1"), 3)
    body = {"event": event.pk}

    assert APIClient().get("/api/v1/false-positives").status_code == 401
    assert client_with("read").post("/api/v1/false-positives", body, format="json").status_code == 403
    assert client_with("write").post("/api/v1/false-positives", body, format="json").status_code == 403
    assert client_with("write").get("/api/v1/false-positives").status_code == 403
    assert FalsePositive.objects.count() == 0


def test_deleting_a_mark_takes_the_judgement_back():
    event = make_event(make_series("web-1"), 3)
    admin = client_with("admin")
    mark = admin.post("/api/v1/false-positives", {"event": event.pk}, format="json").data

    assert client_with("read").delete(f"/api/v1/false-positives/{mark['id']}").status_code == 403
    gone = admin.delete(f"/api/v1/false-positives/{mark['id']}")

    assert gone.status_code == 204 and FalsePositive.objects.count() == 0
    assert admin.get(f"/api/v1/false-positives/{mark['id']}").status_code == 404
    assert client_with("read").get(f"/api/v1/anomaly-events/{event.pk}").data["false_positive"] is None
