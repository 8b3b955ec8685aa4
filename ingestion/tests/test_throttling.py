import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from ingestion.models import ApiKey

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def low_rates(settings):
    cache.clear()
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"read": "3/min", "write": "2/min", "admin": "2/min"},
    }
    yield
    cache.clear()


def client_with(scopes):
    _, key = ApiKey.issue("k", scopes)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def test_each_key_has_its_own_read_allowance():
    first, second = client_with(["read"]), client_with(["read"])

    assert [first.get("/api/v1/series").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert second.get("/api/v1/series").status_code == 200


def test_writes_are_counted_apart_from_reads():
    client = client_with(["read", "write"])
    body = [{"metric": "m", "labels": {"host": "a"}, "value": 1.0}]

    assert [client.post("/api/v1/write", body, format="json").status_code for _ in range(3)] == [
        200,
        200,
        429,
    ]
    assert client.get("/api/v1/series").status_code == 200


def test_a_throttled_answer_says_when_to_retry():
    client = client_with(["read"])
    for _ in range(3):
        client.get("/api/v1/series")

    response = client.get("/api/v1/series")

    assert response.status_code == 429 and int(response["Retry-After"]) > 0
