"""POST /api/v2/write: InfluxDB v2 compatible line protocol, through a real PostgreSQL.

Bad input (sizes, encodings, the validation rules) is tested for every path in test_bad_input.py.
"""

import datetime as dt
import gzip

import pytest
from rest_framework.test import APIClient

from core.scopes import ApiScope

from .write_helpers import (  # noqa: F401
    client_with_key,
    fresh_caches,
    recent,
    stored_points,
    table_locked_by_another_session,
)

pytestmark = pytest.mark.django_db(transaction=True)


def ns(moment: dt.datetime) -> int:
    return int(moment.timestamp()) * 1_000_000_000


def write(client, body, precision=None, bucket="telegraf", **headers):
    url = "/api/v2/write?org=acme"
    if bucket:
        url += f"&bucket={bucket}"
    if precision:
        url += f"&precision={precision}"
    data = body.encode() if isinstance(body, str) else body
    return client.generic("POST", url, data, content_type="text/plain; charset=utf-8", **headers)


def test_it_writes_telegraf_lines_with_a_token_header_and_answers_204():
    t0 = recent()
    body = (
        f"cpu,cpu=cpu-total,host=web-1 usage_idle=97.5,usage_user=1.5 {ns(t0)}\n"
        f"mem,host=web-1 used_percent=41.25,available=123456i {ns(t0)}\n"
    )

    response = write(client_with_key(keyword="Token"), body)

    assert response.status_code == 204 and response.content == b""
    assert stored_points() == [
        ('cpu_usage_idle{cpu="cpu-total",host="web-1"}', t0, 97.5),
        ('cpu_usage_user{cpu="cpu-total",host="web-1"}', t0, 1.5),
        ('mem_available{host="web-1"}', t0, 123456.0),
        ('mem_used_percent{host="web-1"}', t0, 41.25),
    ]


@pytest.mark.parametrize(("precision", "factor"), [("s", 1), ("ms", 1_000), ("us", 1_000_000), ("ns", 10**9)])
def test_it_honours_the_precision(precision, factor):
    t0 = recent()

    write(client_with_key(keyword="Token"), f"m value=1 {int(t0.timestamp()) * factor}", precision)

    assert stored_points() == [("m", t0, 1.0)]


def test_a_line_without_timestamp_is_stored_at_the_server_time():
    before = dt.datetime.now(dt.UTC)

    write(client_with_key(), "m value=1")

    assert before - dt.timedelta(seconds=1) <= stored_points()[0][1] <= dt.datetime.now(dt.UTC)


def test_it_accepts_gzip_bodies():
    t0 = recent()
    body = gzip.compress(f"m value=2 {ns(t0)}\n".encode())

    response = write(client_with_key(), body, HTTP_CONTENT_ENCODING="gzip")

    assert response.status_code == 204
    assert stored_points() == [("m", t0, 2.0)]


def test_a_partial_write_stores_the_good_lines_and_names_the_first_bad_one():
    t0 = recent()
    body = "\n".join(
        [
            f"m,host=a value=1 {ns(t0)}",
            "m,host=a value=oops",
            f"m,host=a value=3 {ns(t0) + 10**9}",
            f"1bad value=4 {ns(t0)}",
        ]
    )

    response = write(client_with_key(), body)

    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "invalid"
    assert data["message"].startswith("partial write: line 2: invalid value 'oops' for field 'value'")
    assert "(and 1 more bad lines); 2 points written" in data["message"]
    assert data["line"] == 2
    assert [(e["line"], e["text"]) for e in data["errors"]] == [
        (2, "m,host=a value=oops"),
        (4, "1bad value=4 " + str(ns(t0))),
    ]
    assert "not a valid Prometheus name" in data["errors"][1]["reason"]
    assert [p[2] for p in stored_points()] == [1.0, 3.0]


def test_bucket_is_required():
    response = write(client_with_key(), "m value=1", bucket=None)

    assert response.status_code == 400
    assert response.json() == {"code": "invalid", "message": "bucket is required (?bucket=...)"}


def test_an_unknown_precision_is_refused():
    response = write(client_with_key(), "m value=1", precision="h")

    assert response.status_code == 400 and response.json()["code"] == "invalid"


def test_auth_errors_use_influxdbs_shape():
    unauthenticated = write(APIClient(), "m value=1")
    read_only = write(client_with_key(scopes=[ApiScope.READ], keyword="Token"), "m value=1")

    assert unauthenticated.status_code == 401 and unauthenticated.json()["code"] == "unauthorized"
    assert read_only.status_code == 403 and read_only.json()["code"] == "forbidden"
    assert stored_points() == []


def test_a_database_failure_is_a_503_in_influxdbs_shape():
    client = client_with_key()
    with table_locked_by_another_session():
        response = write(client, f"m value=1 {ns(recent())}")

    assert response.status_code == 503
    assert response.json()["code"] == "unavailable"
    assert stored_points() == []


def test_bodies_larger_than_djangos_upload_limit_are_accepted():
    start = ns(recent(120))
    body = "\n".join(f"big,host=h{i % 50} value={i} {start + i * 10**8}" for i in range(60_000))

    response = write(client_with_key(), body)

    assert len(body) > 2_621_440  # DATA_UPLOAD_MAX_MEMORY_SIZE
    assert response.status_code == 204
    assert len(stored_points()) == 60_000


def test_a_database_failure_while_checking_the_token_is_a_503_in_influxdbs_shape():
    client = client_with_key(keyword="Token")
    with table_locked_by_another_session("ingestion_apikey"):
        response = write(client, "m value=1")

    assert response.status_code == 503
    assert response.json()["code"] == "unavailable"
