import pytest

pytestmark = pytest.mark.django_db

PREFLIGHT = {"HTTP_ORIGIN": "https://grafana.example.com", "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "GET"}


def test_no_other_origin_is_allowed_by_default(client):
    response = client.options("/api/v1/series", **PREFLIGHT)

    assert "access-control-allow-origin" not in response.headers


def test_a_configured_origin_may_call_the_api(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://grafana.example.com"]

    response = client.options("/api/v1/series", **PREFLIGHT)

    assert response.headers["access-control-allow-origin"] == "https://grafana.example.com"
    assert "authorization" in response.headers["access-control-allow-headers"]


def test_pages_outside_the_api_never_answer_cors(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://grafana.example.com"]

    response = client.get("/healthz", HTTP_ORIGIN="https://grafana.example.com")

    assert "access-control-allow-origin" not in response.headers
