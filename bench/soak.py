"""Soak: ingestion held at a fixed rate for minutes, with concurrent queries.

    .venv/bin/python bench/soak.py                            # 20,000 points/s for 120 s
    .venv/bin/python bench/soak.py --rate 50000 --duration 300 --series 5000

On loopback, against a scratch database it creates and drops, tsmon is served
with gunicorn as `make run` does (2 workers x 4 threads). Writer threads send
line protocol with a write key on a fixed schedule: batch j of `--batch`
points is due at j x batch / rate seconds, and its points carry timestamps
that advance with the schedule, one series after another (`--series` of
them), so every point is new. The schedule is open-loop: a server that
falls behind makes batches wait, which shows as a lower rate held, not as a
quietly slower client. Meanwhile `--query-clients` threads read with a read
key, one query every `--query-interval` seconds each, in turn one series
over the last hour downsampled to 1-minute buckets and the anomalies of the
last day (2,000 stored on 100 series), and one thread asks /healthz five
times a second. Against all that (issue 18): `--slow-clients` connections
trickle a byte a second, half of them their headers (slowloris) and half a
write's body, each opened again when the server cuts it off at its header or
body deadline; and every `--large-query-interval` seconds a large query
reads 1,000 series over the whole range, in turn downsampled at the finest
step allowed and as a raw page of the most points allowed.

Only the window after `--warmup` seconds counts. It prints, against limits
measured or declared in the same run:

- points/s held (acknowledged in the window) vs the target rate (held when
  at least 99 %), and how late batches were sent against their schedule,
- write latency p50/p95/p99 and p99 as a multiple of /healthz's p99 in the
  same window (the floor any request pays under that load),
- query latencies, and errors of each kind (any answer but 2xx),
- the server's memory (RSS of the gunicorn master and workers) at the start
  and end of the window, their ratio and the slope of a line fitted to it
  (flat when the end is within 5 % of the start),
- the points stored against the points acknowledged (they must be equal).
- how many slow clients the server cut off, /healthz's p95 against its p95
  before the load, and the p95 of the window's second half against its first.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import math
import os
import queue
import random
import select
import socket
import threading
import time
from urllib.parse import urlencode

import numpy as np
from harness import gunicorn, scratch_database  # noqa: E402  (bench/ is on sys.path when run as a script)
from ingest import MemoryWatch

METRIC = "soak_cpu_percent"
WRITE_PATH = "/api/v2/write?bucket=soak&org=soak"
HELD_RATIO = 0.99
FLAT_RATIO = 1.05
HEALTHZ_PERIOD_S = 0.2
MEMORY_PERIOD_S = 1.0
SLOW_PERIOD_S = 1.0
SLOW_HEADER = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
SLOW_BODY = (
    b"POST /api/v2/write?bucket=slow HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token KEY\r\n"
    b"Content-Type: text/plain\r\nContent-Length: 1000000\r\n\r\nslow,host=a value=1 "
)


class Clock:
    """The run's schedule: when it started, and the measured window."""

    def __init__(self, warmup: float, duration: float):
        self.start = time.monotonic() + 0.5
        self.window_start = self.start + warmup
        self.window_end = self.window_start + duration

    def in_window(self, moment: float) -> bool:
        return self.window_start <= moment < self.window_end

    def over(self) -> bool:
        return time.monotonic() >= self.window_end


class Record:
    """Latencies (ms) and errors of one kind of request, inside the window."""

    def __init__(self):
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.points = 0  # acknowledged points (writes only)
        self.lags: list[float] = []  # ms from a batch's due time to its sending (writes only)
        self.lock = threading.Lock()

    def add(self, latency_ms: float, points: int = 0, lag_ms: float = 0.0) -> None:
        with self.lock:
            self.latencies.append(latency_ms)
            self.points += points
            self.lags.append(lag_ms)

    def fail(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)

    def percentiles(self) -> tuple[float, float, float]:
        if not self.latencies:
            return (math.nan,) * 3
        return tuple(np.percentile(self.latencies, [50, 95, 99]))


class Client:
    """One keep-alive HTTP connection with a key; reconnects after a failure."""

    def __init__(self, port: int, key: str | None = None):
        self.port = port
        self.headers = {"Authorization": f"Token {key}"} if key else {}
        self.connection = None

    def send(self, method: str, path: str, body: bytes | None = None, content_type: str | None = None):
        """Return (status, answer, seconds taken); status 0 for a failed connection.

        A kept-alive connection the server has since closed (gunicorn keeps
        idle ones for 2 s) is retried once on a new one, as HTTP clients do;
        writes are idempotent, so a retry is safe.
        """
        headers = {**self.headers, **({"Content-Type": content_type} if content_type else {})}
        started = time.perf_counter()
        reused = self.connection is not None
        status, answer = self._attempt(method, path, body, headers)
        if status == 0 and reused:
            status, answer = self._attempt(method, path, body, headers)
        return status, answer, time.perf_counter() - started

    def _attempt(self, method: str, path: str, body: bytes | None, headers: dict) -> tuple[int, bytes]:
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            self.connection.request(method, path, body, headers)
            response = self.connection.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.connection.close()
            self.connection = None
            return 0, repr(exc).encode()


# -- load ---------------------------------------------------------------------


def line_protocol(batch: int, args, t0_ns: int) -> bytes:
    """Batch `batch`: points batch x size ... (batch + 1) x size - 1 of the schedule."""
    step_ns = 1e9 / args.rate
    lines = []
    for k in range(batch * args.batch, (batch + 1) * args.batch):
        i = k % args.series
        value = 50 + 30 * math.sin(k / 997) + (k * 7919 % 100) / 10
        lines.append(
            f"{METRIC},host=soak-{i % 20:02d},id=s{i:05d} value={value:.3f} {t0_ns + int(k * step_ns)}"
        )
    return "\n".join(lines).encode()


def schedule(args, clock: Clock, due: queue.Queue) -> None:
    """Put each batch's number in `due` at its time until the window ends."""
    period = args.batch / args.rate
    batch = 0
    while True:
        at = clock.start + batch * period
        if at >= clock.window_end:
            break
        time.sleep(max(0.0, at - time.monotonic()))
        due.put((batch, at))
        batch += 1
    for _ in range(args.writers):
        due.put(None)


def writer(port, key, args, clock: Clock, t0_ns: int, due: queue.Queue, record: Record, sent: list) -> None:
    client = Client(port, key)
    while (item := due.get()) is not None:
        batch, at = item
        if clock.over():
            continue  # due before the window ended but still waiting: not held
        body = line_protocol(batch, args, t0_ns)
        lag = time.monotonic() - at
        status, answer, seconds = client.send("POST", WRITE_PATH, body, "text/plain; charset=utf-8")
        done = time.monotonic()
        if status not in (200, 204):
            if clock.in_window(done):
                record.fail(f"write answered {status}: {answer[:200]!r}")
            continue
        with record.lock:
            sent[0] += args.batch
        if clock.in_window(done):
            record.add(seconds * 1000, args.batch, lag * 1000)


def querier(port, key, series_ids, clock: Clock, records: dict, seed: int, interval: float) -> None:
    client = Client(port, key)
    rng = random.Random(seed)
    kinds = list(records)
    n = seed
    while not clock.over():
        kind = kinds[n % len(kinds)]
        n += 1
        time.sleep(interval)
        status, answer, seconds = client.send("GET", query_path(kind, rng, series_ids))
        moment = time.monotonic()
        if not clock.in_window(moment):
            continue
        if status == 200:
            records[kind].add(seconds * 1000)
        else:
            records[kind].fail(f"{kind} answered {status}: {answer[:200]!r}")


def query_path(kind: str, rng: random.Random, series_ids: list[int]) -> str:
    now = dt.datetime.now(dt.UTC)
    if kind.startswith("downsampled"):
        query = {"series": rng.choice(series_ids), "start": (now - dt.timedelta(hours=1)).isoformat()}
        return "/api/v1/points?" + urlencode({**query, "end": now.isoformat(), "step": "60s", "agg": "mean"})
    query = {"start": (now - dt.timedelta(days=1)).isoformat(), "end": now.isoformat(), "limit": 500}
    return "/api/v1/anomalies?" + urlencode(query)


class SlowClients:
    """Connections that trickle a byte a second: half their headers (slowloris),
    half a write's body; one the server cuts off (at its header or body deadline)
    is opened again, so `n` of them press on the server all along."""

    def __init__(self, port: int, key: str, n: int):
        self.port, self.n = port, n
        self.heads = [SLOW_HEADER, SLOW_BODY.replace(b"KEY", key.encode())]
        self.sockets: list = []
        self.cut = 0  # connections the server ended (closed, or answered 408)
        self.answered_408 = 0

    def run(self, clock: Clock) -> None:
        self.sockets = [self.connect(i) for i in range(self.n)]
        while not clock.over():
            time.sleep(SLOW_PERIOD_S)
            for i, sock in enumerate(self.sockets):
                self.sockets[i] = self.trickle(i, sock, clock)
        for sock in self.sockets:
            if sock is not None:
                sock.close()

    def connect(self, i: int):
        try:
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            sock.sendall(self.heads[i % 2])
            return sock
        except OSError:
            return None  # the server's accept queue is full: try again next period

    def trickle(self, i: int, sock, clock: Clock):
        """The connection to use next period: this one, or a new one after a cut."""
        if sock is None:
            return self.connect(i)
        try:
            if select.select([sock], [], [], 0)[0]:  # the server answered or hung up
                answer = sock.recv(64)
                raise ConnectionError(answer)
            sock.sendall(b"1")
            return sock
        except OSError as exc:
            if clock.in_window(time.monotonic()):
                self.cut += 1
                self.answered_408 += b" 408 " in str(exc).encode()
            sock.close()
            return self.connect(i)


def large_querier(port, key, series_start: float, clock: Clock, record: Record, interval: float) -> None:
    """In turn: one downsampled query over 1,000 series and the whole range at the
    finest step allowed, and a raw page of the most points allowed."""
    client = Client(port, key)
    n = 0
    while not clock.over():
        time.sleep(interval)
        path = large_query_path(n, series_start)
        n += 1
        status, answer, seconds = client.send("GET", path)
        if not clock.in_window(time.monotonic()):
            continue
        if status == 200:
            record.add(seconds * 1000)
        else:
            record.fail(f"large query answered {status}: {answer[:200]!r}")


def large_query_path(n: int, series_start: float) -> str:
    now = dt.datetime.now(dt.UTC)
    start = dt.datetime.fromtimestamp(series_start, dt.UTC)
    query = {"match": METRIC + '{id=~"s00.*"}', "start": start.isoformat(), "end": now.isoformat()}
    if n % 2 == 0:
        step = max(1, math.ceil((now - start).total_seconds() / 20_000))
        query.update(step=f"{step}s", agg="mean")
    else:
        query.update(limit=100_000)
    return "/api/v1/points?" + urlencode(query)


def probe_healthz(port, clock: Clock, record: Record) -> None:
    client = Client(port)
    while not clock.over():
        status, answer, seconds = client.send("GET", "/healthz")
        if clock.in_window(time.monotonic()):
            if status == 200:
                record.add(seconds * 1000)
            else:
                record.fail(f"/healthz answered {status}: {answer[:200]!r}")
        time.sleep(HEALTHZ_PERIOD_S)


def watch_memory(pid: int, clock: Clock, samples: list) -> None:
    """(seconds into the window, RSS bytes) of the server, once a second in the window."""
    watch = MemoryWatch(pid)
    while not clock.over():
        moment = time.monotonic()
        if clock.in_window(moment):
            samples.append((moment - clock.window_start, watch.rss()))
        time.sleep(MEMORY_PERIOD_S)
    samples.append((clock.window_end - clock.window_start, watch.rss()))


# -- set-up -------------------------------------------------------------------


def issue_keys() -> tuple[str, str]:
    from ingestion.models import ApiKey

    return ApiKey.issue("soak writer", ["write"])[1], ApiKey.issue("soak reader", ["read"])[1]


def create_series(port: int, key: str, args) -> list[int]:
    """One point of every series, in the second before now (the schedule
    starts later); return the series' ids."""
    from ingestion.models import Series

    every_series = argparse.Namespace(**{**vars(args), "batch": args.series, "rate": args.series})
    status, answer, _ = Client(port, key).send(
        "POST",
        WRITE_PATH,
        line_protocol(0, every_series, time.time_ns() - 10**9),
        "text/plain; charset=utf-8",
    )
    if status != 204:
        raise RuntimeError(f"creating the series answered {status}: {answer[:300]!r}")
    return list(Series.objects.filter(metric=METRIC).order_by("id").values_list("id", flat=True))


def idle_healthz(port: int, n: int = 200) -> tuple:
    """/healthz's p50, p95 and p99 (ms) on the idle server."""
    client = Client(port)
    latencies = [client.send("GET", "/healthz")[2] * 1000 for _ in range(n)]
    return tuple(float(p) for p in np.percentile(latencies, [50, 95, 99]))


def stored_points() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM ingestion_point"  # the view over the read function: each point once
        )
        return cursor.fetchone()[0]


# -- the run ------------------------------------------------------------------


def bench(args, scratch: str) -> None:
    from api import load_anomalies  # noqa: E402  (bench/api.py)

    write_key, read_key = issue_keys()
    print(
        f"soak: {args.rate:,} points/s for {args.duration:.0f} s (after {args.warmup:.0f} s of warm-up), "
        f"{args.series:,} series, {args.batch:,} points a request from {args.writers} writers, "
        f"{args.query_clients} query clients (a query every {args.query_interval} s each); gunicorn {args.workers}x{args.threads} ({args.worker_class or 'TsmonWorker'}), {os.cpu_count()} CPUs\n"
    )
    unlimited = "100000000/min"  # throttling would measure the limiter
    worker_class = ("--worker-class", args.worker_class) if args.worker_class else ()
    with gunicorn(
        scratch,
        args.workers,
        args.threads,
        gunicorn_args=worker_class,
        TSMON_THROTTLE_WRITE=unlimited,
        TSMON_THROTTLE_READ=unlimited,
    ) as (port, process):
        healthz_idle = idle_healthz(port)
        series_ids = create_series(port, write_key, args)
        load_anomalies(series_ids[:100], 1, dt.datetime.now(dt.UTC))
        series_start = time.time() - 5  # create_series wrote its points in the second before
        results = run_load(args, port, process.pid, (write_key, read_key), series_ids, series_start)
    report(args, results, healthz_idle, stored_points() - args.series)


def run_load(args, port, pid, keys, series_ids, series_start: float) -> dict:
    write_key, read_key = keys
    clock = Clock(args.warmup, args.duration)
    t0_ns = time.time_ns() + int((clock.start - time.monotonic()) * 1e9)  # the first point's time
    due: queue.Queue = queue.Queue()
    writes, healthz = Record(), Record()
    queries = {"downsampled, 1 h of 1 series": Record(), "anomalies, 1 day": Record()}
    large = Record()
    slow = SlowClients(port, write_key, args.slow_clients)
    memory: list = []
    sent = [0]
    threads = [threading.Thread(target=schedule, args=(args, clock, due))]
    threads += [
        threading.Thread(target=writer, args=(port, write_key, args, clock, t0_ns, due, writes, sent))
        for _ in range(args.writers)
    ]
    threads += [
        threading.Thread(
            target=querier, args=(port, read_key, series_ids, clock, queries, seed, args.query_interval)
        )
        for seed in range(args.query_clients)
    ]
    threads.append(threading.Thread(target=probe_healthz, args=(port, clock, healthz)))
    if args.slow_clients:
        threads.append(threading.Thread(target=slow.run, args=(clock,)))
    if args.large_query_interval:
        large_args = (port, read_key, series_start, clock, large, args.large_query_interval)
        threads.append(threading.Thread(target=large_querier, args=large_args))
    threads.append(threading.Thread(target=watch_memory, args=(pid, clock, memory)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queries["large: 1,000 series, whole range"] = large
    return {
        "writes": writes,
        "healthz": healthz,
        "queries": queries,
        "memory": memory,
        "sent": sent[0],
        "slow": slow,
    }


def report(args, results: dict, healthz_idle: tuple, n_stored: int) -> None:
    print_latencies(results, healthz_idle)
    print_slow_clients(results["slow"], results["healthz"], healthz_idle)
    print_rate(args, results["writes"], results["healthz"])
    print_memory(results["memory"])
    match = "equal" if n_stored == results["sent"] else "DIFFERENT"
    print(f"stored: {n_stored:,} points, acknowledged {results['sent']:,} ({match})")
    for record in (results["writes"], results["healthz"], *results["queries"].values()):
        for message in record.errors[:3]:
            print("  error:", message)


def print_latencies(results: dict, healthz_idle: tuple) -> None:
    print(f"{'':<32}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'requests':>10}{'errors':>8}")
    rows = [("writes (line protocol)", results["writes"]), *results["queries"].items()]
    for name, record in [*rows, ("/healthz", results["healthz"])]:
        p50, p95, p99 = record.percentiles()
        print(
            f"{name:<32}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}{len(record.latencies):>10,}{len(record.errors):>8}"
        )
    p50, p95, p99 = healthz_idle
    print(f"{'/healthz before the load':<32}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}")


def print_slow_clients(slow: SlowClients, healthz: Record, healthz_idle: tuple) -> None:
    """How often the deadlines cut the slow clients off, and whether /healthz stayed flat."""
    print(
        f"\nslow clients: {slow.n} trickling a byte a second (half headers, half bodies); "
        f"the server cut {slow.cut:,} off in the window ({slow.answered_408:,} of them with 408)"
    )
    half = len(healthz.latencies) // 2
    if half:
        first, second = (
            float(np.percentile(part, 95)) for part in (healthz.latencies[:half], healthz.latencies[half:])
        )
        p95 = healthz.percentiles()[1]
        print(
            f"/healthz p95 {p95:.1f} ms under load, {p95 / healthz_idle[1]:.1f}x its p95 before the load; "
            f"second half of the window / first half: {second / first:.2f} ({second:.1f} / {first:.1f} ms)"
        )


def print_rate(args, writes: Record, healthz: Record) -> None:
    held = writes.points / args.duration
    ratio = held / args.rate
    verdict = "held" if ratio >= HELD_RATIO else "NOT held"
    print(
        f"\nrate: {held:,.0f} points/s held of {args.rate:,} ({ratio:.1%}; {verdict}, the limit is {HELD_RATIO:.0%})"
    )
    lag_p50, lag_p99 = np.percentile(writes.lags, [50, 99]) if writes.lags else (math.nan, math.nan)
    print(f"batches sent after their due time: p50 {lag_p50:.0f} ms, p99 {lag_p99:.0f} ms")
    p99, healthz_p99 = writes.percentiles()[2], healthz.percentiles()[2]
    print(
        f"write p99 / healthz p99 in the same window: {p99 / healthz_p99:.1f} ({p99:.1f} / {healthz_p99:.1f} ms)"
    )


def print_memory(samples: list) -> None:
    seconds = np.array([s for s, _ in samples])
    mb = np.array([rss / 1e6 for _, rss in samples])
    slope = np.polyfit(seconds / 60, mb, 1)[0] if len(samples) > 2 else math.nan
    ratio = mb[-1] / mb[0]
    verdict = "flat" if ratio <= FLAT_RATIO else "GROWING"
    trail = " ".join(f"{mb[round(i * (len(mb) - 1) / 10)]:.0f}" for i in range(11))
    print(
        f"server RSS: {mb[0]:.0f} MB at the start, {mb[-1]:.0f} MB at the end: end/start {ratio:.3f} "
        f"({verdict}, the limit is {FLAT_RATIO}), slope {slope:+.2f} MB/min"
    )
    print(f"  by tenths of the window (MB): {trail}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=int, default=20_000, help="points/s to hold (default 20,000)")
    parser.add_argument("--duration", type=float, default=120, help="measured seconds (default 120)")
    parser.add_argument("--warmup", type=float, default=15, help="seconds before the window (default 15)")
    parser.add_argument(
        "--series", type=int, default=2_000, help="series written round-robin (default 2,000)"
    )
    parser.add_argument("--batch", type=int, default=1_000, help="points a request (default 1,000)")
    parser.add_argument("--writers", type=int, default=4, help="writer connections (default 4)")
    parser.add_argument("--query-clients", type=int, default=2, help="query threads (default 2)")
    parser.add_argument(
        "--query-interval",
        type=float,
        default=0.25,
        help="seconds a query client waits between its queries (default 0.25; 0: as fast as it can)",
    )
    parser.add_argument(
        "--slow-clients", type=int, default=30, help="connections trickling headers or bodies (default 30)"
    )
    parser.add_argument(
        "--large-query-interval",
        type=float,
        default=5,
        help="seconds between large queries, 1,000 series over the whole range (default 5; 0: none)",
    )
    parser.add_argument(
        "--worker-class",
        help="another gunicorn worker class to compare with, e.g. gthread (default: make run's)",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2, as make run)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (default 4, as make run)")
    args = parser.parse_args(argv)
    with scratch_database("tsmon_bench_soak") as scratch:
        bench(args, scratch)


if __name__ == "__main__":
    main()
