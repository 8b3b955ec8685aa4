"""The agent: measuring, spooling while tsmon is away, replaying in order, stopping."""

import json
import os
import signal
import subprocess
import sys
import time
from collections import namedtuple

import psutil
import pytest
from django.core.management import call_command

from ingestion.agent import Agent, Collector, Point, Spool, encode_batch
from ingestion.agent.__main__ import main as agent_main
from ingestion.agent.collector import busy_share
from ingestion.models import ApiKey, Series
from ingestion.own_series import LOCAL_KEY_NAME

from .http_stub import StubServer, unused_url
from .write_helpers import fresh_caches, stored_points  # noqa: F401

WRITE_KEY = "tsm_test_key"


class ScriptedCollector:
    """Stands in for psutil: round n measures `metric` = n at a known time."""

    def __init__(self, start_ms):
        self.start_ms = start_ms
        self.rounds = 0

    def collect(self):
        self.rounds += 1
        return [
            Point(
                "agent_round", {"host": "test-host"}, self.start_ms + self.rounds * 1000, float(self.rounds)
            )
        ]


def sent_rounds(stub):
    return [[row["value"] for row in json.loads(body)] for _, _, _, body in stub.requests]


def now_ms():
    return int(time.time() * 1000)


def test_the_collector_reports_gauges_cpu_and_rates_with_the_host_label():
    collector = Collector({"role": "db"}, hostname="h1")
    first = collector.collect(now=1000.0)
    time.sleep(0.3)  # CPU times advance in ticks of 10 ms
    second = collector.collect(now=1001.0)

    first_metrics = {p.metric for p in first}
    second_metrics = {p.metric for p in second}
    assert {
        "load1",
        "memory_used_percent",
        "swap_used_percent",
        "processes_count",
        "uptime_seconds",
    } <= first_metrics
    assert (
        "cpu_usage_percent" not in first_metrics and "network_receive_bytes_per_second" not in first_metrics
    )
    assert {"cpu_usage_percent", "network_receive_bytes_per_second"} <= second_metrics
    cpus = {p.labels["cpu"] for p in second if p.metric == "cpu_usage_percent"}
    # A core whose counters went backwards between the reads (Linux's per-CPU
    # iowait can) is skipped for that round rather than reported wrong.
    assert "total" in cpus and cpus <= {"total", *map(str, range(psutil.cpu_count()))}
    assert all(p.labels["host"] == "h1" and p.labels["role"] == "db" for p in second)
    assert all(p.ts_ms == 1_001_000 for p in second)


def test_rates_come_from_counter_differences_and_skip_resets(monkeypatch):
    Io = namedtuple("Io", "bytes_recv bytes_sent packets_recv packets_sent")
    readings = iter([{"eth0": Io(1000, 0, 10, 0)}, {"eth0": Io(3000, 0, 30, 0)}, {"eth0": Io(500, 0, 5, 0)}])
    monkeypatch.setattr(psutil, "net_io_counters", lambda pernic: next(readings))
    monkeypatch.setattr(psutil, "disk_io_counters", lambda perdisk: {})
    collector = Collector(hostname="h")

    def rate(points):
        return [p.value for p in points if p.metric == "network_receive_bytes_per_second"]

    assert rate(collector.collect(now=100.0)) == []
    assert rate(collector.collect(now=102.0)) == [1000.0]
    assert rate(collector.collect(now=104.0)) == []  # the counter went backwards


def test_the_spool_keeps_order_across_restarts_and_drops_the_oldest_when_full(tmp_path):
    spool = Spool(tmp_path, max_bytes=27)
    for payload in (b"one......", b"two......"):
        spool.append(payload)
    (tmp_path / "00000000000000000009.tmp").write_bytes(b"half written")

    restarted = Spool(tmp_path, max_bytes=27)
    restarted.append(b"three....")
    restarted.append(b"four.....")

    assert [path.read_bytes() for path in restarted.pending()] == [b"two......", b"three....", b"four....."]
    assert restarted.dropped_batches == 1
    assert not list(tmp_path.glob("*.tmp"))


def test_it_spools_while_the_server_answers_5xx_and_replays_in_order(tmp_path):
    collector = ScriptedCollector(now_ms())
    answers = [(503, b"", "text/plain")] * 3 + [(200, b"{}", "application/json")]
    with StubServer(answers) as stub:
        agent = Agent(stub.url, WRITE_KEY, tmp_path, collector=collector)
        agent.run_round()
        agent.run_round()
        assert len(agent.spool.pending()) == 2
        agent.run_round()  # a third 503, then the server is back

        agent.run_round()

    assert sent_rounds(stub)[3:] == [[1.0], [2.0], [3.0], [4.0]]
    assert agent.spool.pending() == []
    method, path, headers, _ = stub.requests[0]
    assert (method, path, headers["Authorization"]) == (
        "POST",
        "/api/v1/write?precision=ms",
        f"Bearer {WRITE_KEY}",
    )


def test_a_batch_the_server_refuses_with_4xx_is_not_retried(tmp_path):
    with StubServer(
        [(400, b'{"detail": "bad"}', "application/json"), (200, b"{}", "application/json")]
    ) as stub:
        agent = Agent(stub.url, WRITE_KEY, tmp_path, collector=ScriptedCollector(now_ms()))
        agent.run_round()
        agent.run_round()

    assert sent_rounds(stub) == [[1.0], [2.0]]
    assert agent.spool.pending() == []


@pytest.mark.django_db(transaction=True)
def test_spooled_batches_reach_the_database_after_an_outage_and_a_restart(tmp_path, live_server):
    _, key = ApiKey.issue("agent", ["write"])
    start_ms = (now_ms() // 1000) * 1000 - 60_000
    collector = ScriptedCollector(start_ms)
    down = Agent(unused_url(), key, tmp_path, collector=collector)
    down.run_round()
    down.run_round()
    assert len(down.spool.pending()) == 2

    restarted = Agent(live_server.url, key, tmp_path, collector=collector)  # same spool, new process
    restarted.run_round()

    assert [value for _, _, value in stored_points()] == [1.0, 2.0, 3.0]
    assert restarted.spool.pending() == []

    # A batch sent but not deleted before a crash is sent again: stored once.
    restarted.spool.append(encode_batch(collector.collect()))
    restarted.spool.append(encode_batch([Point("agent_round", {"host": "test-host"}, start_ms + 4000, 4.0)]))
    restarted.flush()
    assert [value for _, _, value in stored_points()] == [1.0, 2.0, 3.0, 4.0]


@pytest.mark.django_db(transaction=True)
def test_one_real_round_stores_the_host_metrics(tmp_path, live_server):
    _, key = ApiKey.issue("agent", ["write"])

    Agent(live_server.url, key, tmp_path, interval=0.2, collector=Collector(hostname="agent-host")).run(
        once=True
    )

    metrics = set(Series.objects.filter(labels__host="agent-host").values_list("metric", flat=True))
    assert {
        "cpu_usage_percent",
        "load1",
        "memory_used_percent",
        "disk_used_percent",
        "uptime_seconds",
    } <= metrics
    assert "network_receive_bytes_per_second" in metrics


@pytest.mark.django_db(transaction=True)
def test_run_agent_issues_a_local_key_and_sends_one_round(tmp_path, live_server):
    call_command(
        "run_agent", "--url", live_server.url, "--spool-dir", str(tmp_path), "--interval", "0.2", "--once"
    )
    call_command(
        "run_agent", "--url", live_server.url, "--spool-dir", str(tmp_path), "--interval", "0.2", "--once"
    )

    keys = ApiKey.objects.filter(name=LOCAL_KEY_NAME)
    assert keys.count() == 2 and keys.filter(revoked_at__isnull=True).count() == 1
    assert Series.objects.filter(metric="memory_used_percent").exists()


def test_the_command_line_needs_a_token(capsys, monkeypatch):
    monkeypatch.delenv("TSMON_AGENT_TOKEN", raising=False)

    assert agent_main(["--url", "http://127.0.0.1:1", "--once"]) == 2
    assert "--token" in capsys.readouterr().err


def test_it_stops_cleanly_on_sigterm_and_keeps_its_spool(tmp_path):
    command = [sys.executable, "-m", "ingestion.agent", "--url", unused_url(), "--token", "x"]
    command += ["--interval", "60", "--spool-dir", str(tmp_path)]
    process = subprocess.Popen(command, cwd=os.getcwd(), stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not list(tmp_path.glob("*.batch")) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert list(tmp_path.glob("*.batch")), "the agent spooled nothing"

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
    assert "agent stopped; 1 batch(es) left in the spool" in process.stderr.read()
    assert len(list(tmp_path.glob("*.batch"))) == 1


def test_the_busy_share_ignores_a_counter_that_steps_back_and_double_counted_guest_time():
    Times = namedtuple("Times", "user nice system idle iowait irq softirq steal guest guest_nice")
    before = Times(100, 0, 50, 800, 10, 0, 0, 40, 30, 0)
    # 30 s busy, 60 s idle; steal stepped back by 5 (a VM quirk); guest is inside user.
    after = Times(120, 0, 60, 850, 20, 0, 0, 35, 45, 0)

    assert busy_share(before, after) == pytest.approx(30 / 90)
    assert busy_share(after, after) is None
