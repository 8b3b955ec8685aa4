"""The API's answers to malformed requests: JSON, 4xx, naming what is wrong.

Found by the requests Schemathesis generates (test_schemathesis.py),
pinned here as plain cases.
"""

import base64

import pytest
from rest_framework.test import APIClient

from core.scopes import ApiScope
from ingestion.models import ApiKey

pytestmark = pytest.mark.django_db

CURSOR_PAGED = [
    "/api/v1/anomalies",
    "/api/v1/anomaly-events",
    "/api/v1/alerts",
    "/api/v1/deliveries",
    "/api/v1/reports",
]


@pytest.fixture
def client():
    _, key = ApiKey.issue("errors", [ApiScope.ADMIN])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.mark.parametrize("path", ["/api/v1/reports/0.5", "/api/v1/series/-1/rolling", "/api/v1/nothing"])
def test_an_api_path_that_matches_no_route_is_a_json_404(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_page_that_does_not_exist_is_still_an_html_404(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("path", CURSOR_PAGED)
@pytest.mark.parametrize(
    "cursor", ["M", base64.b64encode(b"p=not-a-time").decode()], ids=["garbled", "crafted"]
)
def test_a_bad_cursor_is_a_400_naming_it(client, path, cursor):
    response = client.get(path, {"cursor": cursor})

    assert response.status_code == 400
    assert response.json()["parameter"] == "cursor"


@pytest.mark.parametrize("path", ["/api/v1/points?series=1", "/api/v1/series/1/rolling"])
def test_an_unknown_format_is_a_400_naming_it(client, path):
    response = client.get(path, {"format": "xml"})

    assert response.status_code == 400
    assert response.json() == {"detail": "'xml' is not one of json, api, csv", "parameter": "format"}


@pytest.fixture
def series(db):
    from ingestion.models import Series

    return Series.objects.create(key='m{host="a"}', metric="m", labels={"host": "a"})


@pytest.mark.parametrize(
    ("body", "field"),
    [({"capacity": False}, "capacity"), ({"capacity": "50"}, "capacity"), ({"unit": 5}, "unit")],
)
def test_a_json_value_of_another_type_than_the_schema_says_is_a_400_naming_the_field(
    client, series, body, field
):
    response = client.patch(f"/api/v1/series/{series.pk}", body, format="json")

    assert response.status_code == 400 and field in response.json()
    series.refresh_from_db()
    assert (series.capacity, series.unit) == (None, "")


def test_a_form_is_read_as_drf_reads_it(client, series):
    # The browsable API's HTML form sends every value as text.
    response = client.patch(f"/api/v1/series/{series.pk}", {"capacity": "50"}, format="multipart")

    assert response.status_code == 200 and response.json()["capacity"] == 50.0


RULE = {"name": "nul", "kind": "threshold", "selector": "m", "threshold": 1}


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/alert-rules", {**RULE, "labels": {"team": "a\x00"}}, "labels"),
        ("/api/v1/alert-rules", {**RULE, "annotations": {"runbook": "\x00"}}, "annotations"),
        ("/api/v1/reports", {"kind": "anomaly", "params": {"note": ["\x00"]}}, "params"),
        ("/api/v1/detectors", {"name": "d", "selector": "m", "params": {"window": "\x00"}}, "params"),
    ],
)
def test_a_nul_in_a_json_field_is_a_400_naming_it_not_a_500_from_jsonb(client, path, body, field):
    client.raise_request_exception = False

    response = client.post(path, body, format="json")

    assert response.status_code == 400 and field in response.json()
