"""POST /api/v1/prom/write: Prometheus remote write, through a real PostgreSQL.

Bad input (sizes, encodings, the validation rules) is tested for every path in test_bad_input.py.
"""

import datetime as dt

import pytest

from ingestion.models import Series

from .parsers.protobuf_encoding import compress, series_message, write_request
from .write_helpers import client_with_key, fresh_caches, recent, stored_points  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/prom/write"
HEADERS = {
    "HTTP_CONTENT_ENCODING": "snappy",
    "HTTP_X_PROMETHEUS_REMOTE_WRITE_VERSION": "0.1.0",
}


def post(client, body, content_type="application/x-protobuf", **headers):
    return client.generic("POST", URL, body, content_type=content_type, **{**HEADERS, **headers})


def test_it_stores_what_prometheus_forwards_and_answers_204():
    t0 = recent()
    ms = int(t0.timestamp()) * 1000
    body = compress(
        write_request(
            [
                series_message(
                    {"__name__": "up", "job": "node", "instance": "a:9100"},
                    [(1.0, ms), (1.0, ms + 15_000)],
                    stale_at=ms + 30_000,
                ),
                series_message({"__name__": "node_load1", "instance": "a:9100"}, [(0.75, ms)]),
            ]
        )
    )

    response = post(client_with_key(), body)

    assert response.status_code == 204
    keys = [p[0] for p in stored_points()]
    assert keys == [
        'node_load1{instance="a:9100"}',
        'up{instance="a:9100",job="node"}',
        'up{instance="a:9100",job="node"}',
    ]
    assert stored_points()[0][1:] == (t0, 0.75)


def test_a_staleness_marker_ends_its_series_and_creates_none():
    t0 = recent()
    ms = int(t0.timestamp()) * 1000
    up = {"__name__": "up", "job": "node", "model": ""}  # an empty label value is no label
    body = compress(
        write_request(
            [
                series_message(up, [(1.0, ms)], stale_at=ms + 30_000),
                series_message({"__name__": "never_stored"}, [], stale_at=ms),
            ]
        )
    )

    response = post(client_with_key(), body)

    assert response.status_code == 204
    (series,) = Series.objects.all()
    assert series.key == 'up{job="node"}'
    assert series.ended_at == t0 + dt.timedelta(seconds=30)
    assert [p[0] for p in stored_points()] == ['up{job="node"}']  # the marker is no point


def test_an_earlier_staleness_marker_does_not_move_a_later_end_back():
    ms = int(recent().timestamp()) * 1000
    client = client_with_key()
    for stale_at in (ms + 60_000, ms + 30_000):
        post(
            client,
            compress(write_request([series_message({"__name__": "up"}, [(1.0, ms)], stale_at=stale_at)])),
        )

    assert Series.objects.get().ended_at.timestamp() * 1000 == ms + 60_000


def test_bad_series_are_listed_and_the_good_ones_written():
    ms = int(recent().timestamp()) * 1000
    body = compress(
        write_request(
            [
                series_message({"__name__": "ok"}, [(1.0, ms)]),
                series_message({"__name__": "ok", "bad-key": "x"}, [(1.0, ms)]),
                series_message({"__name__": "nan_value"}, [(float("nan"), ms)]),
            ]
        )
    )

    response = post(client_with_key(), body)

    assert response.status_code == 400
    assert [e["line"] for e in response.data["errors"]] == [2]  # a NaN is skipped, not refused
    assert response.data["written"] == 1
    assert [p[0] for p in stored_points()] == ["ok"]


def test_a_body_that_is_not_snappy_protobuf_is_a_400():
    response = post(client_with_key(), b"\x10not snappy")

    assert response.status_code == 400
    assert "not snappy" in response.data["errors"][0]["reason"]


def test_remote_write_2_is_refused_with_415():
    response = post(
        client_with_key(), b"", content_type="application/x-protobuf;proto=io.prometheus.write.v2.Request"
    )

    assert response.status_code == 415


def test_it_needs_a_write_key():
    from rest_framework.test import APIClient

    assert post(APIClient(), b"").status_code == 401
