"""Chunked request bodies on every write path, through a real gunicorn.

A `Transfer-Encoding: chunked` body has no Content-Length; Django alone
reads such a body as empty, and the write endpoints answered 204 for points
they never stored. Each path here is sent a chunked body over a socket and
the stored rows are counted.
"""

from __future__ import annotations

import gzip
import http.client
import io
import json
from urllib.parse import urlsplit

import pytest

from core.chunked_bodies import ChunkedBodies
from core.scopes import ApiScope
from ingestion.models import ApiKey
from tsmon.testing_server import serve_test_database

from .parsers.protobuf_encoding import compress, series_message, write_request
from .write_helpers import epoch_s, recent, stored_points

pytestmark = pytest.mark.django_db(transaction=True)

MAX_BODY_BYTES = 1_048_576  # the server's limit in this module: over it is a 413


@pytest.fixture
def server(transactional_db):
    with serve_test_database(TSMON_MAX_BODY_BYTES=str(MAX_BODY_BYTES)) as base_url:
        yield base_url


@pytest.fixture
def key(transactional_db) -> str:
    return ApiKey.issue("chunked", [ApiScope.WRITE])[1]


def post_chunked(base_url: str, path: str, body: bytes, headers: dict) -> tuple[int, bytes]:
    """POST `body` in 1,000-byte chunks, as a streaming client does."""
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        chunks = (body[i : i + 1000] for i in range(0, len(body), 1000))
        conn.request("POST", path, body=chunks, headers=headers, encode_chunked=True)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def line_protocol(n: int, measurement: str = "chunked") -> bytes:
    t0 = epoch_s(recent())
    return "".join(f"{measurement},host=a value={i} {t0 - i}\n" for i in range(n)).encode()


@pytest.mark.parametrize(
    "path, auth",
    [("/api/v2/write?bucket=b&precision=s", "Token"), ("/write?db=d&precision=s", "Token")],
)
@pytest.mark.parametrize("gzipped", [False, True])
def test_line_protocol_sent_chunked_is_stored(server, key, path, auth, gzipped):
    body = line_protocol(500)
    headers = {"Authorization": f"{auth} {key}"}
    if gzipped:
        body, headers["Content-Encoding"] = gzip.compress(body), "gzip"

    status, answer = post_chunked(server, path, body, headers)

    assert (status, answer) == (204, b"")
    assert len(stored_points()) == 500


def test_json_rows_sent_chunked_are_stored(server, key):
    t0 = epoch_s(recent())
    rows = [{"metric": "chunked_json", "labels": {"host": "a"}, "ts": t0 - i, "value": i} for i in range(300)]
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    status, answer = post_chunked(server, "/api/v1/write", json.dumps(rows).encode(), headers)

    assert status == 200, answer
    assert json.loads(answer)["written"] == 300
    assert len(stored_points()) == 300


def test_remote_write_sent_chunked_is_stored(server, key):
    ms = epoch_s(recent()) * 1000
    points = [(float(i), ms - i * 1000) for i in range(200)]
    body = compress(write_request([series_message({"__name__": "chunked_up", "job": "j"}, points)]))
    headers = {
        "Authorization": f"Bearer {key}",
        "Content-Type": "application/x-protobuf",
        "Content-Encoding": "snappy",
    }

    status, answer = post_chunked(server, "/api/v1/prom/write", body, headers)

    assert (status, answer) == (204, b"")
    assert len(stored_points()) == 200


def test_csv_sent_chunked_is_stored_as_body_and_as_upload(server, key):
    t0 = epoch_s(recent())
    table = "timestamp,value\n" + "".join(f"{t0 - i},{i}\n" for i in range(100))
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "text/csv"}
    status, answer = post_chunked(server, "/api/v1/write/csv?metric=chunked_csv", table.encode(), headers)
    assert status == 200, answer

    form, content_type = multipart_file(table.replace("value", "other").encode())
    headers = {"Authorization": f"Bearer {key}", "Content-Type": content_type}
    status, answer = post_chunked(server, "/api/v1/write/csv?metric=chunked_form", form, headers)
    assert status == 200, answer

    assert len(stored_points()) == 200


def test_a_chunked_body_over_the_limit_is_a_413_and_nothing_is_stored(server, key):
    body = line_protocol(120_000)  # about 4 MB, over the 1 MiB limit and Django's 2.5 MB read cap
    assert len(body) > 3 * MAX_BODY_BYTES

    status, answer = post_chunked(
        server, "/api/v2/write?bucket=b&precision=s", body, {"Authorization": f"Token {key}"}
    )

    assert status == 413
    assert "limit" in json.loads(answer)["message"]
    assert stored_points() == []


def test_a_server_that_does_not_end_the_stream_gets_411_not_an_empty_body():
    """The development server passes chunks undecoded and does not promise an
    end of stream: refusing is the only answer that loses nothing."""
    called = []
    application = ChunkedBodies(lambda environ, start_response: called.append(environ))
    statuses = []
    environ = {"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input": io.BytesIO(b"5\r\nhello\r\n0\r\n\r\n")}

    body = b"".join(application(environ, lambda status, headers: statuses.append(status)))

    assert statuses == ["411 Length Required"]
    assert "Content-Length" in json.loads(body)["detail"]
    assert called == []


def multipart_file(content: bytes) -> tuple[bytes, str]:
    boundary = "tsmon-chunked-test"
    form = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="points.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return form, f"multipart/form-data; boundary={boundary}"
