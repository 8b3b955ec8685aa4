"""tsmon against InfluxDB 1.6: the same line protocol into each, in interleaved rounds.

    .venv/bin/python bench/versus_influxdb.py               # 5 rounds, under 10 minutes on 2 cores
    .venv/bin/python bench/versus_influxdb.py --points 1000000 --rounds 7 --spaced-series 1000 --days 3

What it does, on loopback:

- starts InfluxDB (Debian's `influxd`, 1.6) on ports of its own with a
  config written into a temporary folder (meta, data and WAL there,
  reporting and its `_internal` store off, no auth), and tsmon under
  gunicorn as bench/ingest.py does (2 workers x 4 threads, `make run`'s
  command line) against a scratch database; both are stopped and removed
  at the end. Without `influxd` on PATH it says so and measures tsmon and
  raw COPY alone.
- builds the request bodies before any clock starts: the same bytes go to
  both, 5,000 lines a request, `precision=s`; InfluxDB gets them on
  `/write?db=bench`, tsmon on `/api/v2/write` with a write key as
  `Authorization: Token`. Values are a seeded random walk per series,
  rounded to 2 decimals (a gauge: no run of equal values to compress).
- shapes (tags `host`, `id`): 1,000 series, 1 field a line, timestamps
  1 s apart, at 1, 2 and 4 client connections; the same with 5 fields a line
  (5 points) at 2 connections; and "60 s spacing": `--spaced-series` series
  (250) with one point a minute for `--days` days (7), at 2 connections.
  `--points` is the number of points of each run of the first four shapes.
  The spaced shape has fewer series so that 7 days (what the read asks for)
  stay within the default runtime: 1,000 series x 7 days is 10 M points a
  run, over a minute per round for tsmon alone on 2 cores
  (`--spaced-series 1000` runs it). A request holds every series at the next
  few timestamps, so with 1,000 series each request moves 1,000 series'
  last-point times instead of 250: tsmon's cost per point is higher there.
- each round measures raw binary COPY of the 1-field points into tsmon's
  landing table, as the writer stamps them (the limit; bench/ingest.py's
  code), then runs every shape on
  InfluxDB and on tsmon, the order alternating by round, each from an empty
  store: InfluxDB's database dropped and created again, tsmon's points
  truncated and its series' first/last times cleared (the series and the
  workers' caches stay, warmed by untimed batches first). Every run is
  checked: the points each store counts (`SELECT count(*)` per field on
  InfluxDB, the points tsmon's read function gives) must equal those acknowledged
  (every request answered 204), or the bench stops. A store is emptied again
  right after its run, so nothing it does in the background (a snapshot, a
  compaction, autovacuum) overlaps the other's run.
- after the last round both hold the 60 s-spacing load (the store that ran
  first in that round loads it again, untimed): disk bytes per point
  (InfluxDB: its data and WAL folders, once the cache is snapshotted to TSM
  and compacted, the config asking for both after 5 s and 20 s without writes
  instead of 10 min and 4 h; tsmon: after one compaction of everything that
  landed (timed and printed; the scheduler compacts every few seconds), the
  size of the chunk partitions with TOAST and key index, and of the landing
  table, after a VACUUM gives them the visibility map autovacuum would),
  then reads: 7 days of one series as 15-minute
  means (InfluxDB `SELECT mean(value) ... GROUP BY time(15m)` on /query,
  tsmon `GET /api/v1/points?match=...&step=15m&agg=mean`), `--reads` requests
  to each from 4 client threads in `--rounds` interleaved blocks; both
  answers are checked to hold the same buckets and means first.

Clients keep their connection alive (one per client thread) on both. tsmon's
read throttle is raised so the read figure measures reads, not the limiter.

It prints each round's points/s per shape, then per shape the median points/s
of InfluxDB and tsmon with their spread (min-max over rounds) and the median
of the per-round ratio tsmon/InfluxDB, raw COPY's points/s and tsmon/COPY;
then disk bytes per point and the reads' p95 latency (median of the per-round
p95s, spread) and median.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

import numpy as np
from harness import free_port, gunicorn, scratch_database  # noqa: E402  (bench/ is on sys.path when run as a script)
from ingest import BATCH, SHAPES, check_stored, measure_copy, send_all, truncate_points

from core.processes import stop_process

N_SERIES = 1_000
LINES_PER_REQUEST = 5_000
COPY_SHAPE = "1000x5"  # bench/ingest.py's: 1,000 series x 5 points a batch, 1 s apart
assert SHAPES[COPY_SHAPE] == (N_SERIES, LINES_PER_REQUEST // N_SERIES) and BATCH == LINES_PER_REQUEST
DATABASE = "bench"
READ_SERIES = "s0001"
READ_DAYS = 7
READ_STEP = "15m"
READ_CLIENTS = 4


@dataclass(frozen=True)
class Data:
    """Line-protocol bodies of one load: `steps` timestamps of `n_series` series."""

    measurement: str
    fields: tuple[str, ...]
    spacing_s: int
    steps: int
    end_s: int  # the last timestamp
    n_series: int = N_SERIES

    @property
    def points(self) -> int:
        return self.n_series * self.steps * len(self.fields)

    @property
    def steps_per_request(self) -> int:
        return LINES_PER_REQUEST // self.n_series

    @property
    def first_s(self) -> int:
        return self.end_s - (self.steps - 1) * self.spacing_s

    def bodies(self, seed: int) -> list[bytes]:
        """Bodies of 5,000 lines (every series at the next few timestamps), oldest first."""
        rng = np.random.default_rng(seed)
        walk = 50 + np.cumsum(rng.normal(0, 0.5, (self.steps, self.n_series, len(self.fields))), axis=0)
        values = np.round(walk, 2).tolist()
        prefixes = [f"{self.measurement},host=bench-1,id=s{i:04d} " for i in range(self.n_series)]
        names = [f"{name}=" for name in self.fields]
        bodies = []
        for first in range(0, self.steps, self.steps_per_request):
            lines = []
            for step in range(first, min(first + self.steps_per_request, self.steps)):
                suffix = f" {self.first_s + step * self.spacing_s}"
                row = values[step]
                for i, prefix in enumerate(prefixes):
                    fields = ",".join(n + repr(v) for n, v in zip(names, row[i], strict=True))
                    lines.append(prefix + fields + suffix)
            bodies.append("\n".join(lines).encode())
        return bodies


@dataclass(frozen=True)
class Shape:
    name: str
    data: str  # key into the loads
    clients: int


SHAPE_LIST = (
    Shape("1 field, 1 conn", "1f", 1),
    Shape("1 field, 2 conns", "1f", 2),
    Shape("1 field, 4 conns", "1f", 4),
    Shape("5 fields, 2 conns", "5f", 2),
    Shape("60 s spacing, 2 conns", "60s", 2),
)
SPACED = SHAPE_LIST[-1]
FIVE_FIELDS = ("user", "system", "idle", "iowait", "steal")


def loads(points: int, days: int, spaced_series: int, now_s: int) -> dict[str, Data]:
    end_s = now_s - 120
    return {
        "1f": Data("bench_1f", ("value",), 1, max(1, points // N_SERIES), end_s),
        "5f": Data("bench_5f", FIVE_FIELDS, 1, max(1, points // (N_SERIES * len(FIVE_FIELDS))), end_s),
        "60s": Data("bench_60s", ("value",), 60, days * 1440, end_s - end_s % 60, spaced_series),
    }


def tsmon_metrics(data: Data) -> list[str]:
    """tsmon's metric names for a load (`<measurement>_<field>`, or the measurement for `value`)."""
    return [data.measurement if f == "value" else f"{data.measurement}_{f}" for f in data.fields]


# -- InfluxDB -------------------------------------------------------------------

INFLUX_CONFIG = """\
# Written by bench/versus_influxdb.py; everything else is influxd's default.
reporting-disabled = true  # upstream's name
reporting-enabled = false  # Debian's name
bind-address = "127.0.0.1:{rpc_port}"

[meta]
  dir = "{root}/meta"

[data]
  dir = "{root}/data"
  wal-dir = "{root}/wal"
  query-log-enabled = false
  # So that the disk figure is of snapshotted, compacted TSM files without
  # waiting 10 min and 4 h; only a store that gets no writes is affected.
  cache-snapshot-write-cold-duration = "5s"
  compact-full-write-cold-duration = "20s"

[monitor]
  store-enabled = false

[http]
  bind-address = "127.0.0.1:{http_port}"
  auth-enabled = false
  log-enabled = false

[continuous_queries]
  enabled = false

[logging]
  level = "warn"
  suppress-logo = true
"""


class Influx:
    def __init__(self, port: int, root: Path):
        self.port, self.root = port, root

    def query(self, q: str, method: str = "POST", db: str | None = None) -> dict:
        params = {"q": q, "epoch": "s", **({"db": db} if db else {})}
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            if method == "POST":
                connection.request(
                    "POST",
                    "/query",
                    urlencode(params),
                    {"Content-Type": "application/x-www-form-urlencoded"},
                )
            else:
                connection.request("GET", "/query?" + urlencode(params))
            response = connection.getresponse()
            answer = json.loads(response.read() or b"{}")
        finally:
            connection.close()
        errors = [r["error"] for r in answer.get("results", []) if "error" in r]
        if response.status != 200 or errors or "error" in answer:
            raise RuntimeError(f"InfluxDB {q!r}: {response.status} {answer}")
        return answer

    def reset(self) -> None:
        self.query(f"DROP DATABASE {DATABASE}")
        self.query(f"CREATE DATABASE {DATABASE}")

    def drop(self) -> None:
        self.query(f"DROP DATABASE {DATABASE}")

    def count(self, data: Data) -> int:
        answer = self.query(f'SELECT count(*) FROM "{data.measurement}"', "GET", DATABASE)
        total = 0
        for result in answer["results"]:
            for series in result.get("series", []):
                for row in series["values"]:
                    total += sum(v for name, v in zip(series["columns"], row, strict=True) if name != "time")
        return total


@contextlib.contextmanager
def influxdb():
    """Run influxd on free loopback ports from a temporary folder; yield an Influx, or None."""
    binary = shutil.which("influxd")
    if binary is None:
        yield None
        return
    root = Path(tempfile.mkdtemp(prefix="tsmon-bench-influx-"))
    port = free_port()
    (root / "influxdb.conf").write_text(INFLUX_CONFIG.format(root=root, rpc_port=free_port(), http_port=port))
    log = open(root / "influxd.log", "wb")  # noqa: SIM115  (closed below)
    process = subprocess.Popen(
        [binary, "run", "-config", str(root / "influxdb.conf")], stdout=log, stderr=log
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/ping")
                if connection.getresponse().status == 204:
                    break
            except OSError:
                pass
            finally:
                connection.close()
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"influxd did not start; see {root / 'influxd.log'}")
            time.sleep(0.2)
        influx = Influx(port, root)
        version = influx_version(port)
        print(f"InfluxDB {version} ({binary}) on 127.0.0.1:{port}")
        yield influx
    finally:
        stop_process(process, timeout=30)
        log.close()
        shutil.rmtree(root, ignore_errors=True)
        print("InfluxDB stopped, its folder removed")


def influx_version(port: int) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/ping")
        return connection.getresponse().getheader("X-Influxdb-Version", "?")
    finally:
        connection.close()


def allocated(path: Path, pattern: str = "*") -> int:
    """Bytes on disk (allocated blocks) of the files under `path` matching `pattern`."""
    return sum(f.stat().st_blocks * 512 for f in path.rglob(pattern) if f.is_file())


def influx_disk(influx: Influx, timeout: float = 120.0) -> dict[str, int]:
    """Sizes of InfluxDB's files of the bench database once its cache is
    snapshotted (WAL empty) and the TSM files stop changing."""
    data, wal = influx.root / "data" / DATABASE, influx.root / "wal" / DATABASE
    deadline = time.monotonic() + timeout
    last, stable_since = None, time.monotonic()
    while time.monotonic() < deadline:
        state = sorted((str(f), f.stat().st_size) for f in data.rglob("*") if f.is_file())
        wal_bytes = sum(f.stat().st_size for f in wal.rglob("*.wal"))
        busy = any(name.endswith(".tmp") for name, _ in state) or wal_bytes > 0
        if state != last or busy:
            last, stable_since = state, time.monotonic()
        elif time.monotonic() - stable_since > 25:  # past the full compaction's 20 s
            break
        time.sleep(1)
    return {
        "TSM files": allocated(data, "*.tsm"),
        "series file and index": allocated(data) - allocated(data, "*.tsm"),
        "WAL": allocated(wal),
        "flushed": int(time.monotonic() < deadline),
    }


# -- tsmon ----------------------------------------------------------------------


def reset_tsmon() -> None:
    """Empty the points table and clear the series' first/last times, as for
    new series (a run then updates them as a live stream does)."""
    from django.db import connection

    truncate_points()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE ingestion_series SET first_ts = NULL, last_ts = NULL WHERE first_ts IS NOT NULL"
        )


def tsmon_disk() -> dict[str, int]:
    """Compact what landed (as the scheduler does every few seconds), then
    measure the chunks, their key index and what is left in landing."""
    from django.db import connection

    from ingestion.compaction import compact

    started = time.perf_counter()
    result = compact()
    seconds = time.perf_counter() - started
    print(
        f"  tsmon compaction: {result.landing_rows:,} landing rows in {seconds:.1f} s "
        f"({result.landing_rows / max(seconds, 1e-9):,.0f} rows/s), {result.chunks_written:,} chunks"
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE ingestion_chunk")  # the visibility map a live table has
        cursor.execute(
            """
            SELECT coalesce(sum(pg_table_size(inhrelid)), 0), coalesce(sum(pg_indexes_size(inhrelid)), 0)
            FROM pg_inherits WHERE inhparent = 'ingestion_chunk'::regclass
            """
        )
        heap, index = cursor.fetchone()
        cursor.execute("SELECT pg_total_relation_size('ingestion_landing')")
        landing = cursor.fetchone()[0]
    return {
        "chunks (table, TOAST, FSM, VM)": int(heap),
        "chunk key index": int(index),
        "landing": int(landing),
    }


def prepare_tsmon(port: int, key: str, data: dict[str, Data]) -> None:
    """Series, caches and partitions, with untimed batches before the measured range."""
    for load in data.values():
        warm = Data(
            load.measurement,
            load.fields,
            load.spacing_s,
            load.steps_per_request * 8,
            load.first_s - 600,
            load.n_series,
        )
        work = [[(tsmon_write_url(), body, "text/plain")] for body in warm.bodies(seed=1)]
        send_all(port, work, 4, {"Authorization": f"Token {key}"}, label="tsmon warm-up", keep_alive=True)
    reset_tsmon()


def tsmon_write_url() -> str:
    return "/api/v2/write?bucket=bench&org=bench&precision=s"


# -- the run --------------------------------------------------------------------


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--points",
        type=int,
        default=400_000,
        help="points a run of the 1-field and 5-field shapes (default 400,000)",
    )
    parser.add_argument("--days", type=int, default=7, help="days of the 60 s-spacing shape (default 7)")
    parser.add_argument(
        "--spaced-series",
        type=int,
        default=250,
        help="series of the 60 s-spacing shape, a divisor of 5,000 (default 250; 1000 makes 10 M points a run)",
    )
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--reads", type=int, default=500, help="read requests to each store (default 500)")
    args = parser.parse_args(argv)
    if not 1 <= args.days <= 28:
        parser.error("--days must be 1 to 28 (tsmon keeps 30 days)")
    if args.spaced_series < 1 or LINES_PER_REQUEST % args.spaced_series:
        parser.error(
            "--spaced-series must divide 5,000 (a request holds every series at the same timestamps)"
        )
    with influxdb() as influx, scratch_database("tsmon_bench_influx") as scratch:
        if influx is None:
            print("influxd is not on PATH: InfluxDB is not measured, only tsmon and raw COPY\n")
        bench(args, scratch, influx)


def bench(args, scratch: str, influx: Influx | None) -> None:
    from ingestion.models import ApiKey

    write_key = ApiKey.issue("bench", ["write"])[1]
    read_key = ApiKey.issue("bench-read", ["read"])[1]
    now_s = int(time.time())
    data = loads(args.points, args.days, args.spaced_series, now_s)
    started = time.perf_counter()
    bodies = {name: load.bodies(seed=index + 10) for index, (name, load) in enumerate(data.items())}
    megabytes = sum(len(b) for group in bodies.values() for b in group) / 1e6
    print(
        f"bodies built in {time.perf_counter() - started:.0f} s ({megabytes:,.0f} MB); "
        f"{os.cpu_count()} CPUs; gunicorn 2 workers x 4 threads; {args.rounds} rounds"
    )
    for name, load in data.items():
        print(
            f"  {name:>4}: {load.measurement}, {len(load.fields)} field(s), {load.steps:,} timestamps "
            f"{load.spacing_s} s apart x {load.n_series:,} series = {load.points:,} points, "
            f"{len(bodies[name])} requests"
        )
    systems = ["InfluxDB", "tsmon"] if influx else ["tsmon"]
    rates: dict[tuple[str, str], list[float]] = {}
    copy_rates: list[float] = []
    copy_batches = max(1, data["1f"].points // BATCH)
    copy_start = data["1f"].first_s - 7200
    with gunicorn(scratch, 2, 4, TSMON_THROTTLE_READ="1000000/min") as (port, _):
        prepare_tsmon(port, write_key, data)
        if influx:
            influx.reset()  # an untimed warm-up of InfluxDB too
            work = [[(influx_write_url(), body, "text/plain")] for body in bodies["1f"][:8]]
            send_all(influx.port, work, 4, {}, label="InfluxDB warm-up", keep_alive=True)
            influx.drop()
        runners = {
            "InfluxDB": lambda shape: run_influx(influx, shape, data, bodies),
            "tsmon": lambda shape: run_tsmon(port, write_key, shape, data, bodies),
        }
        print()
        for round_ in range(args.rounds):
            copy_rate = copy_batches * BATCH / measure_copy(COPY_SHAPE, copy_batches, copy_start)
            copy_rates.append(copy_rate)
            truncate_points()
            print(f"round {round_ + 1}: raw COPY {copy_rate:,.0f} points/s")
            order = systems if round_ % 2 == 0 else systems[::-1]
            for shape in SHAPE_LIST:
                line = f"  {shape.name:<24}"
                for system in order:
                    # The last run of all keeps its points for the disk and read figures.
                    keep = round_ == args.rounds - 1 and shape is SPACED and system == order[-1]
                    rate = (
                        runners[system](shape)
                        if keep
                        else clear_after(system, influx, runners[system], shape)
                    )
                    rates.setdefault((shape.name, system), []).append(rate)
                    line += f"  {system} {rate:>10,.0f}"
                print(line, flush=True)
        if len(order) > 1:  # the other store loads the spaced points again, untimed, now that no run is left
            runners[order[0]](SPACED)
        summary(rates, copy_rates, influx is not None)
        disk(influx, data["60s"])
        reads(args, port, read_key, influx, data["60s"])


def clear_after(system: str, influx: Influx | None, runner, shape: Shape) -> float:
    rate = runner(shape)
    if system == "InfluxDB":
        influx.drop()
    else:
        reset_tsmon()
    return rate


def influx_write_url() -> str:
    return f"/write?db={DATABASE}&precision=s"


def run_influx(influx: Influx, shape: Shape, data: dict[str, Data], bodies) -> float:
    load = data[shape.data]
    influx.reset()
    work = [[(influx_write_url(), body, "text/plain; charset=utf-8")] for body in bodies[shape.data]]
    seconds = send_all(influx.port, work, shape.clients, {}, label="InfluxDB", keep_alive=True)
    stored = influx.count(load)
    if stored != load.points:
        raise RuntimeError(f"InfluxDB {shape.name}: {stored:,} points stored, {load.points:,} acknowledged")
    return load.points / seconds


def run_tsmon(port: int, key: str, shape: Shape, data: dict[str, Data], bodies) -> float:
    load = data[shape.data]
    reset_tsmon()
    work = [[(tsmon_write_url(), body, "text/plain; charset=utf-8")] for body in bodies[shape.data]]
    headers = {"Authorization": f"Token {key}"}
    seconds = send_all(port, work, shape.clients, headers, label="tsmon", keep_alive=True)
    try:
        check_stored(load.points)
    except RuntimeError as exc:
        raise RuntimeError(f"tsmon {shape.name}: {exc} (acknowledged)") from None
    return load.points / seconds


def spread(values: list[float], fmt: str = ",.0f") -> str:
    return f"{min(values):{fmt}}-{max(values):{fmt}}"


def summary(rates, copy_rates: list[float], with_influx: bool) -> None:
    copy = statistics.median(copy_rates)
    stores = "both stores" if with_influx else "tsmon"
    # run_influx and run_tsmon raise on any difference, so reaching here means none.
    print(f"\nstored == acknowledged after every write of every round ({stores})")
    print(f"medians over {len(copy_rates)} rounds (min-max over rounds), points/s:")
    print(f"raw COPY into the landing table (the limit): {copy:,.0f} ({spread(copy_rates)})\n")
    columns = ("shape", "InfluxDB", "(min-max)", "tsmon", "(min-max)", "tsmon/InfluxDB", "tsmon/COPY")
    widths = (-22, 11, 23, 10, 21, 22, 11)
    rows = []
    for shape in SHAPE_LIST:
        ours = rates[(shape.name, "tsmon")]
        vs_copy = statistics.median(t / c for t, c in zip(ours, copy_rates, strict=True))
        row = [shape.name, "-", "", f"{statistics.median(ours):,.0f}", f"({spread(ours)})", "-"]
        if with_influx:
            theirs = rates[(shape.name, "InfluxDB")]
            ratios = [t / i for t, i in zip(ours, theirs, strict=True)]
            row[1:3] = [f"{statistics.median(theirs):,.0f}", f"({spread(theirs)})"]
            row[5] = f"{statistics.median(ratios):.2f} ({spread(ratios, '.2f')})"
        rows.append([*row, f"{vs_copy:.0%}"])
    for row in [columns, None, *rows]:
        if row is None:
            print("-" * sum(abs(w) + 1 for w in widths))
            continue
        print(
            " ".join(
                f"{cell:<{-w}}" if w < 0 else f"{cell:>{w}}" for cell, w in zip(row, widths, strict=True)
            )
        )


def disk(influx: Influx | None, load: Data) -> None:
    print(
        f"\ndisk after the 60 s-spacing load ({load.points:,} points, {load.n_series:,} series x {load.steps:,}):"
    )
    stores = {}
    if influx:
        sizes = influx_disk(influx)
        flushed = sizes.pop("flushed")
        if not flushed:
            print("  (InfluxDB still had a WAL or changing TSM files after 120 s: sizes as they were)")
        stores["InfluxDB"] = sizes
    stores["tsmon"] = tsmon_disk()
    for store, sizes in stores.items():
        total = sum(sizes.values())
        parts = ", ".join(f"{name} {size / 1e6:,.1f} MB" for name, size in sizes.items())
        print(f"  {store:<9} {total / load.points:6.1f} bytes/point  ({total / 1e6:,.1f} MB: {parts})")


def reads(args, port: int, key: str, influx: Influx | None, load: Data) -> None:
    """p95 of 7 days of one series as 15-minute means, from 4 client threads."""
    end = load.end_s - load.end_s % 900 + 900
    start = end - READ_DAYS * 86400
    influx_q = (
        f"SELECT mean(value) FROM \"{load.measurement}\" WHERE id = '{READ_SERIES}' "
        f"AND time >= {start}s AND time < {end}s GROUP BY time({READ_STEP}) fill(none)"
    )
    selector = quote(f'{load.measurement}{{id="{READ_SERIES}"}}')
    requests = {
        "tsmon": (
            port,
            f"/api/v1/points?match={selector}&start={start}&end={end}&step={READ_STEP}&agg=mean&format=json",
            {"Authorization": f"Bearer {key}"},
        )
    }
    if influx:
        requests["InfluxDB"] = (
            influx.port,
            "/query?" + urlencode({"db": DATABASE, "q": influx_q, "epoch": "s"}),
            {},
        )
    answers = {name: get(*request) for name, request in requests.items()}
    buckets = {name: parse_buckets(name, answer) for name, answer in answers.items()}
    expected = min(READ_DAYS, args.days) * 86400 // 900
    for name, found in buckets.items():
        if abs(len(found) - expected) > 2:
            raise RuntimeError(f"{name} read: {len(found)} buckets, expected about {expected}")
    if influx:
        if buckets["tsmon"].keys() != buckets["InfluxDB"].keys() or any(
            abs(buckets["tsmon"][t] - buckets["InfluxDB"][t]) > 1e-9 * max(1.0, abs(buckets["InfluxDB"][t]))
            for t in buckets["tsmon"]
        ):
            raise RuntimeError("tsmon's and InfluxDB's 15-minute means differ")
    per_round = max(READ_CLIENTS, args.reads // args.rounds)
    latencies: dict[str, list[list[float]]] = {name: [] for name in requests}
    names = list(requests)
    for round_ in range(args.rounds):
        for name in names if round_ % 2 == 0 else names[::-1]:
            latencies[name].append(timed_gets(*requests[name], per_round))
    n = per_round * args.rounds
    same = ", the same on both" if influx else ""
    print(
        f"\nreads: {READ_DAYS} days of one series as 15-minute means ({len(buckets['tsmon'])} buckets{same}), "
        f"{n} requests each from {READ_CLIENTS} threads in {args.rounds} interleaved rounds:"
    )
    for name in names:
        p95s = [float(np.percentile(times, 95)) * 1000 for times in latencies[name]]
        every = [t for times in latencies[name] for t in times]
        print(
            f"  {name:<9} p95 {statistics.median(p95s):6.1f} ms ({spread(p95s, '.1f')} over rounds), "
            f"median {statistics.median(every) * 1000:.1f} ms"
        )


def get(port: int, url: str, headers: dict) -> bytes:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", url, headers=headers)
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    if response.status != 200:
        raise RuntimeError(f"GET {url}: {response.status} {body[:300]!r}")
    return body


def parse_buckets(name: str, body: bytes) -> dict[int, float]:
    import datetime as dt

    answer = json.loads(body)
    if name == "InfluxDB":
        series = answer["results"][0].get("series", [])
        return {int(t): v for s in series for t, v in s["values"] if v is not None}
    (series,) = answer["series"]
    return {int(dt.datetime.fromisoformat(t).timestamp()): v for t, v in series["points"]}


def timed_gets(port: int, url: str, headers: dict, n: int) -> list[float]:
    """Seconds of each of `n` GETs from READ_CLIENTS threads, each on a kept-alive connection."""
    times: list[float] = []
    failures: list[str] = []
    counter = iter(range(n))
    lock = threading.Lock()

    def client():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            while not failures:
                with lock:
                    if next(counter, None) is None:
                        return
                started = time.perf_counter()
                connection.request("GET", url, headers=headers)
                response = connection.getresponse()
                body = response.read()
                elapsed = time.perf_counter() - started
                if response.status != 200:
                    failures.append(f"GET {url}: {response.status} {body[:300]!r}")
                    return
                with lock:
                    times.append(elapsed)
        except Exception as exc:
            failures.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=client) for _ in range(READ_CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(failures[0])
    return times


if __name__ == "__main__":
    main()
