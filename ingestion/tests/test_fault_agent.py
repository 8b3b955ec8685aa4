"""Fault tests of the agent: a long outage of tsmon, and the agent killed during one.

test_agent.py proves the spool's parts one call at a time; these run the
agent's own loop (in a thread, or as a process that is killed) against a
stub tsmon that answers 503 for a long time, with intervals shortened so
that minutes of rounds pass in seconds.
"""

import json
import logging
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ingestion.agent import Agent

from .http_stub import StubServer
from .test_agent import WRITE_KEY, ScriptedCollector, now_ms

pytestmark = pytest.mark.fault

ROOT = Path(__file__).resolve().parents[2]
UNAVAILABLE = (503, b'{"detail": "the database is unavailable"}', "application/json")
WRITTEN = (200, b"{}", "application/json")


class BoundWatchingAgent(Agent):
    """The agent, noting the largest its spool ever got."""

    largest_spool = 0

    def run_round(self) -> int:
        sent = super().run_round()
        self.largest_spool = max(self.largest_spool, self.spool.size())
        return sent


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def accepted_bodies(stub: StubServer, n_refused: int) -> list[bytes]:
    return [body for _, _, _, body in stub.requests[n_refused:]]


def test_a_long_outage_keeps_the_newest_batches_within_the_bound_and_replays_them_in_order(tmp_path):
    n_refused = 150  # 25 minutes of rounds at the default 10 s
    with StubServer([UNAVAILABLE] * n_refused + [WRITTEN]) as stub:
        collector = ScriptedCollector(now_ms())
        # One batch is about 100 bytes: room for about 20.
        agent = BoundWatchingAgent(stub.url, WRITE_KEY, tmp_path, interval=0.01, collector=collector)
        agent.spool.max_bytes = 2000
        thread = threading.Thread(target=agent.run, daemon=True)
        thread.start()
        wait_for(lambda: len(stub.requests) > n_refused + 30, 60, "the outage to end and rounds to follow")
        agent.stopping.set()
        thread.join(10)

    rounds = [row["value"] for body in accepted_bodies(stub, n_refused) for row in json.loads(body)]
    first_kept = int(rounds[0])
    # The oldest batches were dropped, each one counted; the rest arrived oldest
    # first, once each, without a gap, up to the last round measured.
    assert agent.spool.dropped_batches == first_kept - 2  # round 1 only primes the rates
    assert rounds == [float(n) for n in range(first_kept, collector.rounds + 1)]
    assert agent.largest_spool <= 2000 and first_kept > 100
    assert agent.spool.pending() == []


def agent_process(url: str, spool_dir: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "ingestion.agent", "--url", url, "--token", WRITE_KEY]
    command += ["--interval", "0.1", "--spool-dir", str(spool_dir), "--hostname", "fault-host"]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_an_agent_killed_during_an_outage_sends_what_both_lives_spooled_in_order_once(tmp_path):
    with StubServer([UNAVAILABLE]) as stub:
        first_life = agent_process(stub.url, tmp_path)
        try:
            wait_for(lambda: len(list(tmp_path.glob("*.batch"))) >= 8, 30, "batches to be spooled")
        finally:
            first_life.send_signal(signal.SIGKILL)  # as the OOM killer would: no clean-up at all
            first_life.wait(10)
        time.sleep(0.5)  # the stub may still be answering the last request
        spooled = [path.read_bytes() for path in sorted(tmp_path.glob("*.batch"))]
        n_refused = len(stub.requests)

        stub.answers = [WRITTEN]  # tsmon is back
        second_life = agent_process(stub.url, tmp_path)
        try:
            wait_for(lambda: len(stub.requests) >= n_refused + len(spooled) + 3, 30, "the replay")
        finally:
            second_life.send_signal(signal.SIGTERM)
            assert second_life.wait(10) == 0

    sent = accepted_bodies(stub, n_refused)
    assert sent[: len(spooled)] == spooled  # the first life's batches first, as they were spooled
    batch_times = [{row["ts"] for row in json.loads(body)} for body in sent]
    assert all(len(times) == 1 for times in batch_times)  # one round per batch
    times = [times.pop() for times in batch_times]
    assert times == sorted(set(times))  # oldest first, none twice
    assert not list(tmp_path.glob("*.batch")) and not list(tmp_path.glob("*.tmp"))


def read_request(conn: socket.socket) -> bytes:
    """One HTTP request with a Content-Length body, read whole."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
    )
    while len(body) < length:
        body += conn.recv(65536)
    return head


UNAVAILABLE_ANSWER = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: 15\r\n"
    b'Connection: close\r\n\r\n{"detail": "x"}'
)


def test_a_failed_send_hangs_up_at_once_even_while_its_error_is_kept(tmp_path, caplog):
    """The agent closes a failed answer's connection itself. It used to stay
    open for as long as the error lived, and a log handler that keeps
    records (pytest's here, an error tracker's) keeps the error; meanwhile
    gunicorn's worker waits up to 2 s for the client to hang up before it
    accepts anything else, so each failed send stalled a worker."""
    caplog.set_level(logging.WARNING)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        agent = Agent(f"http://127.0.0.1:{listener.getsockname()[1]}", WRITE_KEY, tmp_path)
        agent.spool.append(b"[]")
        sender = threading.Thread(target=agent.flush)
        sender.start()
        conn, _ = listener.accept()
        with conn:
            conn.settimeout(5)
            read_request(conn)
            conn.sendall(UNAVAILABLE_ANSWER)
            sender.join(5)
            conn.settimeout(1)
            assert conn.recv(1) == b""  # the agent hung up

    assert "server unavailable (HTTP 503)" in caplog.text
    assert len(agent.spool.pending()) == 1
