"""Ingestion speed: every write path against raw COPY, measured in one run.

    .venv/bin/python bench/ingest.py                  # 200,000 points per path and shape
    .venv/bin/python bench/ingest.py --points 5000000 --paths line-protocol --shapes 1000x5

What it does, on loopback, against a scratch database it creates and drops:

1. The limit: binary COPY of the same points straight into the partitioned
   points table (primary key included), 5,000 points per transaction.
2. `write_samples` in-process (series resolution + COPY, no HTTP, no parsing),
   to separate the writer's cost from the request's.
3. Each HTTP write path through gunicorn (2 workers x 4 threads, as `make run`
   serves; 4 client threads),
   realistic batches of 5,000 points in two shapes: 1,000 series x 5 points
   and 10 series x 500 points (JSON columnar and CSV send what their form
   holds: one series of 500 points, a wide table of 10 columns x 500 rows).

Each figure is the best of `--repeat` runs (3), since a shared machine's
other load only ever slows a run down. It prints points/s and the ratio to the COPY limit of the same shape, and the
server's memory (RSS of gunicorn master and workers: at the start, the peak
and the end of each path). Series are created and worker caches warmed by
untimed batches first; each path starts from an empty points table.
Request bodies are built before the clock starts (runs of up to 1M points per
path); longer runs build them in the client threads as they go, which keeps
memory flat but charges the client's formatting to the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import io
import json
import os
import queue
import threading
import time
from dataclasses import dataclass

import psutil
from harness import gunicorn, scratch_database  # noqa: E402  (bench/ is on sys.path when run as a script)

BATCH = 5_000
SHAPES = {"1000x5": (1_000, 5), "10x500": (10, 500)}
PATHS = ("line-protocol", "json-rows", "json-columnar", "remote-write", "csv")


# -- payloads -----------------------------------------------------------------


@dataclass
class Batch:
    """The points of one request: `per_series` seconds of `n_series` series."""

    shape: str
    index: int
    start_s: int  # timestamp of the first point of the measured range

    @property
    def n_series(self) -> int:
        return SHAPES[self.shape][0]

    @property
    def per_series(self) -> int:
        return SHAPES[self.shape][1]

    def points(self):
        """(series number, ts seconds, value) of every point."""
        first_s = self.start_s + self.index * self.per_series
        for j in range(self.per_series):
            ts = first_s + j
            for i in range(self.n_series):
                yield i, ts, ((self.index * 7 + i * 13 + j) % 1000) / 10.0


def metric_of(shape: str) -> str:
    return "bench_wide" if shape == "1000x5" else "bench_deep"


def line_protocol(batch: Batch) -> tuple[str, bytes, str]:
    metric = metric_of(batch.shape)
    lines = [
        f"{metric},host=bench-1,id=s{i:04d} value={v} {ts * 1_000_000_000}" for i, ts, v in batch.points()
    ]
    return "/api/v2/write?bucket=bench&org=bench", "\n".join(lines).encode(), "text/plain; charset=utf-8"


def json_rows(batch: Batch) -> tuple[str, bytes, str]:
    metric = metric_of(batch.shape)
    rows = [
        {"metric": metric, "labels": {"host": "bench-1", "id": f"s{i:04d}"}, "ts": ts, "value": v}
        for i, ts, v in batch.points()
    ]
    return "/api/v1/write", json.dumps(rows).encode(), "application/json"


def json_columnar(batch: Batch, series: int) -> tuple[str, bytes, str]:
    points = [(ts, v) for i, ts, v in batch.points() if i == series]
    document = {
        "metric": metric_of(batch.shape),
        "labels": {"host": "bench-1", "id": f"s{series:04d}"},
        "ts": [ts for ts, _ in points],
        "values": [v for _, v in points],
    }
    return "/api/v1/write", json.dumps(document).encode(), "application/json"


def remote_write(batch: Batch) -> tuple[str, bytes, str]:
    from ingestion.tests.parsers.protobuf_encoding import compress, series_message, write_request

    by_series: dict[int, list] = {}
    for i, ts, v in batch.points():
        by_series.setdefault(i, []).append((v, ts * 1000))
    metric = metric_of(batch.shape)
    messages = [
        series_message({"__name__": metric, "host": "bench-1", "id": f"s{i:04d}"}, points)
        for i, points in by_series.items()
    ]
    return "/api/v1/prom/write", compress(write_request(messages)), "application/x-protobuf"


def csv_table(batch: Batch) -> tuple[str, bytes, str]:
    columns = [f"s{i:04d}" for i in range(batch.n_series)]
    rows = {}
    for i, ts, v in batch.points():
        rows.setdefault(ts, [""] * batch.n_series)[i] = str(v)
    text = (
        "ts," + ",".join(columns) + "\n" + "".join(f"{ts},{','.join(cells)}\n" for ts, cells in rows.items())
    )
    return f"/api/v1/write/csv?metric={metric_of(batch.shape)}&labels=host=bench-1", text.encode(), "text/csv"


def requests_for(path: str, batch: Batch):
    """The (url, body, content type) requests that carry one batch on `path`."""
    if path == "line-protocol":
        return [line_protocol(batch)]
    if path == "json-rows":
        return [json_rows(batch)]
    if path == "json-columnar":
        return [json_columnar(batch, i) for i in range(batch.n_series)]
    if path == "remote-write":
        return [remote_write(batch)]
    return [csv_table(batch)]


def supports(path: str, shape: str) -> bool:
    # One series of 5 points per request, or a 1,000-column table, is not a
    # realistic use of the columnar and CSV forms.
    return not (path in ("json-columnar", "csv") and shape == "1000x5")


# -- database -----------------------------------------------------------------


def issue_key() -> str:
    from ingestion.models import ApiKey

    return ApiKey.issue("bench", ["write"])[1]


def truncate_points() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE ingestion_landing, ingestion_chunk")


def samples_of(batch: Batch):
    from ingestion.samples import Sample

    metric = metric_of(batch.shape)
    labels = [(("host", "bench-1"), ("id", f"s{i:04d}")) for i in range(batch.n_series)]
    return [Sample(metric, labels[i], ts * 1_000_000, v, 1) for i, ts, v in batch.points()]


def measure_copy(shape: str, n_batches: int, start_s: int) -> float:
    """Seconds to COPY the shape's points in 5,000-point transactions into
    the landing table, as the writer does (one batch number each)."""
    import numpy as np
    from django.db import connection

    from ingestion.models import Series
    from ingestion.writer import LANDING, copy_payload, write_samples

    write_samples(samples_of(Batch(shape, -1, start_s)))  # creates the series
    ids_by_key = {
        (series.metric, tuple(sorted(series.labels.items()))): series.id
        for series in Series.objects.filter(metric=metric_of(shape))
    }
    truncate_points()
    elapsed = 0.0
    connection.ensure_connection()
    raw = connection.connection
    for index in range(n_batches):
        samples = samples_of(Batch(shape, index, start_s))
        ids = np.array([ids_by_key[(s.metric, s.labels)] for s in samples], dtype=np.int64)
        ts = np.array([s.ts_us for s in samples], dtype=np.int64)
        values = np.array([s.value for s in samples], dtype=np.float64)
        payload = copy_payload(ids, ts, values, index)
        started = time.perf_counter()
        with raw.cursor() as cursor:
            cursor.copy_expert(
                f"COPY {LANDING} (series_id, ts, value, batch) FROM STDIN WITH (FORMAT binary)",
                io.BytesIO(payload),
            )
        raw.commit()
        elapsed += time.perf_counter() - started
    return elapsed


def measure_writer(shape: str, n_batches: int, start_s: int) -> float:
    """Seconds for `write_samples` to store the shape's points, batch by batch."""
    from ingestion.writer import write_samples

    truncate_points()
    elapsed = 0.0
    for index in range(n_batches):
        samples = samples_of(Batch(shape, index, start_s))
        started = time.perf_counter()
        write_samples(samples)
        elapsed += time.perf_counter() - started
    return elapsed


# -- the server -----------------------------------------------------------------


class MemoryWatch:
    """Samples the RSS of a process tree every 0.25 s in a thread."""

    def __init__(self, pid: int):
        self.root = psutil.Process(pid)
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def rss(self) -> int:
        total = 0
        for process in [self.root, *self.root.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                total += process.memory_info().rss
        return total

    def _run(self):
        while not self._stop.wait(0.25):
            self.samples.append(self.rss())

    def __enter__(self):
        self.samples.append(self.rss())
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.samples.append(self.rss())


PREBUILD_MAX_POINTS = 1_000_000


def post_all(port: int, key: str, path: str, batches: list[Batch], clients: int) -> float:
    """Send every batch's requests from `clients` threads; return seconds taken.

    Up to PREBUILD_MAX_POINTS points, bodies are built before the clock
    starts, so the client's formatting does not compete with the server for
    the CPUs; longer runs build them on the fly to keep memory flat.
    """
    prebuild = len(batches) * BATCH <= PREBUILD_MAX_POINTS
    headers = {"Authorization": f"Token {key}"}
    if path == "remote-write":
        headers["Content-Encoding"] = "snappy"

    def build(item):
        return requests_for(path, item) if isinstance(item, Batch) else item

    work = [requests_for(path, batch) if prebuild else batch for batch in batches]
    return send_all(port, work, clients, headers, build=build, label=path)


def send_all(
    port: int,
    work: list,
    clients: int,
    headers: dict,
    *,
    build=None,
    label: str = "",
    keep_alive: bool = False,
) -> float:
    """POST every request of `work` from `clients` threads; return seconds taken.

    Each item of `work` is a list of (url, body, content type), or what
    `build` turns into one (in the client thread). A new connection per
    request, or with `keep_alive` one per client thread. Any answer but 200
    or 204 stops the run and raises.
    """
    todo: queue.Queue = queue.Queue()
    for item in work:
        todo.put(item)
    failures: list[str] = []

    def client():
        connection = None
        try:
            while not failures:
                try:
                    item = todo.get_nowait()
                except queue.Empty:
                    return
                for url, body, content_type in build(item) if build else item:
                    if connection is None:
                        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                    connection.request("POST", url, body, {**headers, "Content-Type": content_type})
                    response = connection.getresponse()
                    answer = response.read()
                    if not keep_alive:
                        connection.close()
                        connection = None
                    if response.status not in (200, 204):
                        failures.append(f"{label} answered {response.status}: {answer[:300]!r}")
                        return
        except Exception as exc:  # a reset connection, a timeout: the run failed
            failures.append(f"{label}: {exc!r}")
        finally:
            if connection is not None:
                connection.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(failures[0])
    return time.perf_counter() - started


# -- the run ------------------------------------------------------------------


def run(args) -> None:
    with scratch_database("tsmon_bench") as scratch:
        bench(args, scratch)


def bench(args, scratch: str) -> None:
    key = issue_key()
    n_batches = max(1, args.points // BATCH)
    now_s = int(time.time())
    rows = []
    print(
        f"{n_batches * BATCH:,} points per path and shape, {BATCH:,} per request; "
        f"gunicorn {args.workers} workers, {args.clients} client threads, {os.cpu_count()} CPUs\n"
    )
    header = f"{'path':<26}{'shape':>8}{'points':>11}{'seconds':>9}{'points/s':>11}{'vs COPY':>9}   server RSS MB start/peak/end"
    print(header)
    print("-" * len(header))
    limits = {}
    for shape in args.shapes:
        per_series = SHAPES[shape][1]
        start_s = now_s - 120 - n_batches * per_series  # the whole range ends two minutes ago
        seconds = min(measure_copy(shape, n_batches, start_s) for _ in range(args.repeat))
        limits[shape] = n_batches * BATCH / seconds
        rows.append(report("raw COPY (the limit)", shape, n_batches, seconds, limits[shape]))
        seconds = min(measure_writer(shape, n_batches, start_s) for _ in range(args.repeat))
        rows.append(report("write_samples in-process", shape, n_batches, seconds, limits[shape]))
    with gunicorn(scratch, args.workers, args.threads) as (port, process):
        for path in args.paths:
            for shape in args.shapes:
                if supports(path, shape):
                    rows.append(
                        measure_path(args, port, process, key, path, shape, n_batches, now_s, limits[shape])
                    )


def measure_path(args, port, process, key, path, shape, n_batches, now_s, limit) -> str:
    """Best of `args.repeat` runs of one path and shape, from an empty points table."""
    per_series = SHAPES[shape][1]
    start_s = now_s - 120 - n_batches * per_series
    warm = [Batch(shape, -1 - i, start_s - per_series * 2) for i in range(args.workers * args.threads)]
    post_all(port, key, path, warm, args.clients)  # series, caches, partitions
    batches = [Batch(shape, i, start_s) for i in range(n_batches)]
    best = float("inf")
    with MemoryWatch(process.pid) as memory:
        for _ in range(args.repeat):
            truncate_points()
            best = min(best, post_all(port, key, path, batches, args.clients))
            check_stored(n_batches * BATCH)
    return report(f"HTTP {path}", shape, n_batches, best, limit, memory.samples)


def check_stored(expected: int) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM ingestion_point"  # the view over the read function: each point once
        )
        stored = cursor.fetchone()[0]
    if stored != expected:
        raise RuntimeError(f"{stored} points stored, expected {expected}")


def report(label, shape, n_batches, seconds, limit, memory=None) -> str:
    points = n_batches * BATCH
    rate = points / seconds
    line = f"{label:<26}{shape:>8}{points:>11,}{seconds:>9.2f}{rate:>11,.0f}{rate / limit:>9.0%}"
    if memory:
        mb = [m / 1e6 for m in memory]
        line += f"   {mb[0]:.0f} / {max(mb):.0f} / {mb[-1]:.0f}"
        if len(mb) >= 40:  # a long run: show the course, to see that it stays flat
            trail = " ".join(f"{mb[round(i * (len(mb) - 1) / 8)]:.0f}" for i in range(9))
            line += f"  (by eighths: {trail})"
    print(line, flush=True)
    return line


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--points", type=int, default=200_000, help="points per path and shape (default 200,000)"
    )
    parser.add_argument("--paths", nargs="+", choices=PATHS, default=list(PATHS))
    parser.add_argument("--shapes", nargs="+", choices=list(SHAPES), default=list(SHAPES))
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2, as make run)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (default 4, as make run)")
    parser.add_argument("--clients", type=int, default=4, help="client threads (default 4)")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per measurement; the best counts (default 3)"
    )
    run(parser.parse_args(argv))


if __name__ == "__main__":
    main()
