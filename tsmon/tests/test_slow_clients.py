"""Slow clients cannot take the server from the others (issue 18, finding 5).

Through a real gunicorn as `make run` starts it: clients that trickle their
headers or their bodies (slowloris) must neither keep /healthz from
answering nor hold a connection past the read deadlines.
"""

from __future__ import annotations

import select
import socket
import threading
import time
import urllib.request
from urllib.parse import urlsplit

import pytest

from ingestion.choices import ApiScope
from ingestion.models import ApiKey
from tsmon.testing_server import serve_test_database

pytestmark = pytest.mark.django_db(transaction=True)

N_SLOW = 30  # more than the 2 x 4 threads gunicorn had: every one of them taken
TRICKLE_PERIOD_S = 0.5
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


def test_healthz_answers_while_slow_clients_trickle_headers(transactional_db):
    with serve_test_database(workers=2) as base_url, Trickler(base_url, N_SLOW, slow_header()):
        assert healthz_status(base_url) == 200


def test_healthz_answers_while_slow_clients_trickle_bodies(write_key):
    with serve_test_database(workers=2) as base_url, Trickler(base_url, N_SLOW, slow_body(write_key), b"1"):
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
