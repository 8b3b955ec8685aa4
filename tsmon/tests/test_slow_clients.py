"""Slow clients cannot take the server from the others (issue 18, finding 5).

Through a real gunicorn as `make run` starts it: clients that trickle their
headers or their bodies (slowloris) must neither keep /healthz from
answering nor hold a connection past the read deadlines.
"""

from __future__ import annotations

import datetime as dt
import select
import socket
import threading
import time
import urllib.request
from urllib.parse import urlencode, urlsplit

import pytest
from django.db import connection

from core.scopes import ApiScope
from ingestion.models import ApiKey
from ingestion.writer import write_samples
from tsmon.testing import ALL_POINTS, make_samples
from tsmon.testing_server import serve_test_database

pytestmark = pytest.mark.django_db(transaction=True)

# More than the threads of a gthread worker (4): every one taken. One worker
# process, so that none is left with free threads because the other accepted
# all the slow clients (where two share the listening socket, either may).
N_SLOW = 30
TRICKLE_PERIOD_S = 0.5
N_POINTS = 20_000  # several chunks of a streamed answer
ANSWER_DEADLINE_S = 30  # generous: a server that answers at all answers in well under a second


class Trickler(threading.Thread):
    """Clients that send `head` at once, then one byte of `trickle` each period, until stopped."""

    def __init__(self, base_url: str, n: int, head: bytes, trickle: bytes = b"a"):
        super().__init__(daemon=True)
        parts = urlsplit(base_url)
        self.sockets = [socket.create_connection((parts.hostname, parts.port)) for _ in range(n)]
        for sock in self.sockets:
            sock.sendall(head)
        self.trickle = trickle
        self.stopping = threading.Event()
        self.rounds = 0

    def run(self) -> None:
        while not self.stopping.wait(TRICKLE_PERIOD_S):
            for sock in self.sockets:
                try:
                    if not answered(sock):  # a byte sent after the server hung up would reset the answer
                        sock.sendall(self.trickle)
                except OSError:
                    pass  # cut off by the server: what a deadline does
            self.rounds += 1

    def __enter__(self):
        self.start()
        while self.rounds < 4:  # the server has accepted them and is reading
            time.sleep(0.1)
        return self

    def __exit__(self, *exc_info):
        self.stopping.set()
        self.join()
        for sock in self.sockets:
            sock.close()


def answered(sock: socket.socket) -> bool:
    """Whether the server has sent something or hung up."""
    return bool(select.select([sock], [], [], 0)[0])


def slow_header(path: str = "/healthz") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".encode()


def slow_body(key: str, length: int = 100_000) -> bytes:
    return (
        "POST /api/v2/write?bucket=slow&precision=s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Token {key}\r\nContent-Type: text/plain\r\nContent-Length: {length}\r\n\r\n"
        "slow,host=a value=1 "
    ).encode()


def healthz_status(base_url: str) -> int:
    with urllib.request.urlopen(f"{base_url}/healthz", timeout=ANSWER_DEADLINE_S) as response:
        return response.status


def answer_or_close(sock: socket.socket) -> bytes:
    """What the server sends before it hangs up (b"" for a plain close), within the deadline."""
    sock.settimeout(ANSWER_DEADLINE_S)
    received = b""
    try:
        while chunk := sock.recv(4096):
            received += chunk
    except ConnectionResetError:
        pass
    return received


@pytest.fixture
def write_key(transactional_db) -> str:
    return ApiKey.issue("slow", [ApiScope.WRITE])[1]


def test_healthz_and_a_streamed_query_answer_while_slow_clients_trickle_headers(transactional_db):
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=6)  # all before now
    write_samples(make_samples("slow_cpu_percent", start=start, n_points=N_POINTS, step_seconds=1))
    read_key = ApiKey.issue("slow reader", [ApiScope.READ])[1]
    query = urlencode({"match": "slow_cpu_percent", "start": start.isoformat(), "limit": N_POINTS})

    with serve_test_database() as base_url, Trickler(base_url, N_SLOW, slow_header()):
        assert healthz_status(base_url) == 200
        # Raw points are streamed from a server-side cursor, chunk by chunk.
        request = urllib.request.Request(
            f"{base_url}/api/v1/points?{query}",
            headers={"Authorization": f"Bearer {read_key}", "Accept": "text/csv"},
        )
        with urllib.request.urlopen(request, timeout=ANSWER_DEADLINE_S) as response:
            rows = response.read().decode().splitlines()

    assert rows[0] == "series_id,key,ts,value"
    assert len(rows) == 1 + N_POINTS


def test_healthz_answers_while_slow_clients_trickle_bodies(write_key):
    with serve_test_database() as base_url, Trickler(base_url, N_SLOW, slow_body(write_key), b"1"):
        assert healthz_status(base_url) == 200


def test_a_client_trickling_its_headers_is_cut_off_at_the_header_deadline(transactional_db):
    with serve_test_database(TSMON_HEADER_TIMEOUT_SECONDS="2") as base_url:
        with Trickler(base_url, 1, slow_header()) as trickler:
            assert answer_or_close(trickler.sockets[0]) == b""


def test_a_body_sent_too_slowly_gets_408_at_the_body_deadline(write_key):
    with serve_test_database(TSMON_BODY_TIMEOUT_SECONDS="2") as base_url:
        with Trickler(base_url, 1, slow_body(write_key), b"1") as trickler:
            answer = answer_or_close(trickler.sockets[0])

    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b"TSMON_BODY_TIMEOUT_SECONDS" in answer


def test_a_body_the_client_cut_short_of_its_content_length_runs_no_view(write_key):
    ts = int(time.time()) - 60
    lines = "".join(f"cut,host=a value={i} {ts - i}\n" for i in range(3)).encode()
    head = slow_body(write_key, length=len(lines) + 1000).rsplit(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"

    with serve_test_database() as base_url:
        parts = urlsplit(base_url)
        with socket.create_connection((parts.hostname, parts.port)) as sock:
            sock.sendall(head + lines)
            sock.shutdown(socket.SHUT_WR)  # gone before the declared length: a lost connection
            answer = answer_or_close(sock)

    assert answer == b""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {ALL_POINTS}")
        assert cursor.fetchone()[0] == 0
