"""Query API latency under concurrent clients, beside /healthz in the same run.

    .venv/bin/python bench/api.py                         # 1,000 series x 7 days at 1 minute: 10 M points
    .venv/bin/python bench/api.py --series 100 --days 2   # a quick look

On loopback, against a scratch database it creates and drops: it stores
`--series` series of 1-minute points over `--days` days (binary COPY, the
fastest way in), 20 anomalies per series and day on 100 of them, then serves tsmon with
gunicorn as `make run` does (2 workers x 4 threads) and sends `--requests`
requests per endpoint from `--clients` threads with keep-alive:

- `/healthz` (one `SELECT 1`: the floor any request pays),
- anomalies of one day across those 100 series (one page of 500),
- one series over the whole period downsampled to about 500 points,
- the series list (one page of 100).

For each it prints p50/p95/p99 latency, requests/s, and p95 as a multiple
of /healthz's p95 (target for the downsampled query: at most 10). Last, the
plan of reading a week of one series with its buffer counts, to show it
reads a bounded number of index pages rather than scanning.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import io
import random
import threading
import time
from urllib.parse import urlencode

import numpy as np
from harness import gunicorn, scratch_database  # noqa: E402  (bench/ is on sys.path when run as a script)

CHUNK_POINTS = 500_000


def load_points(n_series: int, days: int, end: dt.datetime) -> list[int]:
    """Store the series' points with binary COPY; return the series ids."""
    from django.db import connection

    from ingestion.compaction import compact
    from ingestion.samples import Sample
    from ingestion.writer import copy_payload, write_samples

    n_minutes = days * 1440
    start_us = int(end.timestamp()) * 1_000_000 - n_minutes * 60_000_000
    # One point each through the writer creates the series (and the first day's partition).
    write_samples([Sample("bench_cpu", (("host", f"h{i:03d}"),), start_us, 0.0, 1) for i in range(n_series)])
    from ingestion.models import Series

    ids = list(Series.objects.filter(metric="bench_cpu").order_by("id").values_list("id", flat=True))
    minutes = np.arange(1, n_minutes, dtype=np.int64)
    rng = np.random.default_rng(0)
    connection.ensure_connection()
    raw = connection.connection
    per_chunk = max(1, CHUNK_POINTS // len(minutes))
    for first in range(0, len(ids), per_chunk):
        chunk = ids[first : first + per_chunk]
        series_ids = np.repeat(np.array(chunk, dtype=np.int64), len(minutes))
        ts = np.tile(start_us + minutes * 60_000_000, len(chunk))
        values = 50 + 20 * np.sin(ts / 8.64e10 * 2 * np.pi) + rng.normal(0, 3, ts.size)
        with raw.cursor() as cursor:
            cursor.copy_expert(
                "COPY ingestion_landing (series_id, ts, value, batch) FROM STDIN WITH (FORMAT binary)",
                io.BytesIO(copy_payload(series_ids, ts, values, first)),
            )
        raw.commit()
    compact()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return ids


def load_anomalies(ids: list[int], days: int, end: dt.datetime) -> None:
    from analytics.models import Anomaly, Detector

    detector = Detector.objects.get(name="default")
    rng = random.Random(0)
    rows = [
        Anomaly(
            detector=detector, series_id=series_id,
            ts=end - dt.timedelta(minutes=rng.randrange(1, days * 1440)),
            score=rng.uniform(0.5, 1), value=99, expected=50, lo=40, hi=60, direction=1,
        )
        for series_id in ids
        for _ in range(20 * days)
    ]  # fmt: skip
    Anomaly.objects.bulk_create(rows, ignore_conflicts=True, batch_size=5000)


def measure(port: int, key: str, paths: list[str], clients: int) -> list[float]:
    """Send every path (round-robin over threads); return latencies in ms."""
    latencies: list[float] = []
    lock = threading.Lock()
    work = iter(paths)

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = []
        while True:
            with lock:
                path = next(work, None)
            if path is None:
                break
            started = time.perf_counter()
            conn.request("GET", path, headers={"Authorization": f"Bearer {key}"})
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"{path}: HTTP {response.status}")
            mine.append((time.perf_counter() - started) * 1000)
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    measure.elapsed = time.perf_counter() - started
    return latencies


def endpoint_paths(name: str, ids: list[int], days: int, end: dt.datetime, n: int) -> list[str]:
    rng = random.Random(1)
    start = end - dt.timedelta(days=days)
    step_s = max(60, int(days * 86400 / 500))
    day = end - dt.timedelta(days=1)
    make = {
        "healthz": lambda: "/healthz",
        "anomalies, 1 day x 100 series": lambda: (
            "/api/v1/anomalies?" + urlencode({"start": day.isoformat(), "end": end.isoformat(), "limit": 500})
        ),
        f"{days}-day series -> 500 points": lambda: (
            "/api/v1/points?"
            + urlencode(
                {
                    "series": rng.choice(ids),
                    "start": start.isoformat(),
                    "end": end.isoformat(),
                    "step": f"{step_s}s",
                    "agg": "mean",
                }
            )
        ),  # fmt: skip
        "series list": lambda: "/api/v1/series?limit=100",
    }[name]
    return [make() for _ in range(n)]


def explain_week(series_id: int, end: dt.datetime) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) SELECT ts, value"
            " FROM tsmon_series_points(ARRAY[%s]::bigint[], %s, %s) ORDER BY ts",
            [series_id, end - dt.timedelta(days=7), end],
        )
        return "\n".join(row[0] for row in cursor.fetchall())


def bench(args, scratch: str) -> None:
    from ingestion.models import ApiKey

    end = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) - dt.timedelta(minutes=5)
    started = time.perf_counter()
    ids = load_points(args.series, args.days, end)
    load_anomalies(ids[:100], args.days, end)
    n_points = args.series * args.days * 1440
    print(f"stored {n_points:,} points in {args.series} series ({time.perf_counter() - started:.0f} s)\n")
    key = ApiKey.issue("bench", ["read"])[1]
    names = [
        "healthz",
        "anomalies, 1 day x 100 series",
        f"{args.days}-day series -> 500 points",
        "series list",
    ]
    header = f"{'endpoint':<34}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'req/s':>9}{'p95 / healthz':>15}"
    print(
        f"{args.requests} requests per endpoint, {args.clients} clients, gunicorn {args.workers}x{args.threads}"
    )
    print(header + "\n" + "-" * len(header))
    # Throttling would measure the limiter, not the query: lift it for the run.
    with gunicorn(scratch, args.workers, args.threads, TSMON_THROTTLE_READ="100000000/min") as (port, _):
        measure(port, key, endpoint_paths("healthz", ids, args.days, end, 50), args.clients)  # warm up
        healthz_p95 = None
        for name in names:
            latencies = np.array(
                measure(port, key, endpoint_paths(name, ids, args.days, end, args.requests), args.clients)
            )
            p50, p95, p99 = np.percentile(latencies, [50, 95, 99])
            healthz_p95 = healthz_p95 or p95
            print(
                f"{name:<34}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}{len(latencies) / measure.elapsed:>9.0f}{p95 / healthz_p95:>15.1f}"
            )
    print("\nreading a week of one series:\n" + explain_week(ids[len(ids) // 2], end))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--requests", type=int, default=400, help="requests per endpoint (default 400)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args(argv)
    with scratch_database("tsmon_bench_api") as scratch:
        bench(args, scratch)


if __name__ == "__main__":
    main()
