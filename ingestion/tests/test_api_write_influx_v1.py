"""POST /write and /ping: InfluxDB 1.x compatibility, through a real PostgreSQL.

The line protocol itself is the one of /api/v2/write (test_api_write_influx.py);
here: the 1.x envelope (db, precision letters, credentials, error shape).
"""

import base64
import gzip

import pytest
from rest_framework.test import APIClient

from core.scopes import ApiScope
from ingestion.models import ApiKey

from .write_helpers import epoch_s, fresh_caches, recent, stored_points  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def key():
    return ApiKey.issue("telegraf", [ApiScope.WRITE])[1]


def write(body: str | bytes, query="db=telegraf&precision=s", client=None, **headers):
    data = body.encode() if isinstance(body, str) else body
    return (client or APIClient()).generic(
        "POST", f"/write?{query}", data, content_type="text/plain", **headers
    )


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_telegraf_writes_with_basic_auth_the_key_as_password(key):
    t0 = recent()
    response = write(
        f"cpu,host=web-1 usage_idle=97.5 {epoch_s(t0)}\n", HTTP_AUTHORIZATION=basic("telegraf", key)
    )

    assert response.status_code == 204 and response.content == b""
    assert stored_points() == [('cpu_usage_idle{host="web-1"}', t0, 97.5)]


@pytest.mark.parametrize("how", ["query", "token", "gzip"])
def test_the_key_may_come_as_u_and_p_or_a_token_and_the_body_gzipped(key, how):
    t0 = recent()
    line = f"mem,host=db-1 used_percent=41.5 {epoch_s(t0) * 1_000_000_000}"
    if how == "query":
        response = write(line, f"db=x&u=telegraf&p={key}")
    elif how == "token":
        response = write(line, "db=x&precision=n", HTTP_AUTHORIZATION=f"Token {key}")
    else:
        response = write(
            gzip.compress(line.encode()),
            "db=x",
            HTTP_AUTHORIZATION=basic("", key),
            HTTP_CONTENT_ENCODING="gzip",
        )

    assert response.status_code == 204, response.content
    assert stored_points() == [('mem_used_percent{host="db-1"}', t0, 41.5)]


def test_a_partial_write_answers_in_influxdb_1x_shape_and_keeps_the_good_lines(key):
    t0 = recent()
    body = f"cpu,host=a usage=1 {epoch_s(t0)}\ncpu,host=a usage=oops {epoch_s(t0)}\n"

    response = write(body, HTTP_AUTHORIZATION=basic("telegraf", key))

    assert response.status_code == 400
    assert response.json()["error"].startswith("partial write: line 2:")
    assert [p[0] for p in stored_points()] == ['cpu_usage{host="a"}']


@pytest.mark.parametrize(
    ("query", "reason"),
    [("precision=s", "database is required"), ("db=x&precision=m", "precision 'm' is not one of")],
)
def test_a_refused_request_says_why_and_writes_nothing(key, query, reason):
    response = write(f"cpu usage=1 {epoch_s(recent())}", query, HTTP_AUTHORIZATION=basic("t", key))

    assert response.status_code == 400 and reason in response.json()["error"]
    assert stored_points() == []


def test_credentials_are_checked_and_scoped():
    reader = ApiKey.issue("grafana", [ApiScope.READ])[1]
    line = f"cpu usage=1 {epoch_s(recent())}"

    assert write(line).status_code == 401
    wrong = write(line, HTTP_AUTHORIZATION=basic("telegraf", "tsm_nope_nope"))
    assert wrong.status_code == 401 and "revoked" in wrong.json()["error"]
    assert write(line, HTTP_AUTHORIZATION="Basic !!!").status_code == 401
    assert write(line, f"db=x&p={reader}").status_code == 403
    assert stored_points() == []


def test_ping_answers_204_with_the_version_header_without_a_key():
    client = APIClient()
    for method in ("get", "head"):
        response = getattr(client, method)("/ping")
        assert response.status_code == 204 and response["X-Influxdb-Version"].startswith("1.")
    assert client.post("/ping").status_code == 405
