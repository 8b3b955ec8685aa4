"""Where the in-process line-protocol write path spends its time.

    .venv/bin/python bench/profile_write_path.py              # 1,000 series x 5 points per body
    .venv/bin/python bench/profile_write_path.py --spacing 60 --bodies 100 --top 30

Builds 5,000-line bodies as bench/ingest.py sends them (`--spacing` seconds
between a series' points), then runs parse -> validate -> write_samples on
each against a scratch database, first untimed (series created, caches
warm), then under cProfile. Prints the time per point of each stage and
cProfile's top functions by own time. No HTTP, no gunicorn: this is the
worker's CPU, not the request's latency.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time

from harness import scratch_database  # noqa: E402  (bench/ is on sys.path when run as a script)

N_SERIES, PER_SERIES = 1_000, 5


def body(index: int, start_s: int, spacing: int) -> str:
    first_s = start_s + index * PER_SERIES * spacing
    return "\n".join(
        f"bench_wide,host=bench-1,id=s{i:04d} value={((index * 7 + i * 13 + j) % 1000) / 10.0} "
        f"{(first_s + j * spacing) * 1_000_000_000}"
        for j in range(PER_SERIES)
        for i in range(N_SERIES)
    )


def stages(text: str, now_us: int):
    """Run the three stages on one body; return each one's seconds of
    this process's CPU (the database server's work is not in them)."""
    from ingestion.ingest import limits_from_settings
    from ingestion.parsers.line_protocol import parse_line_protocol_columns
    from ingestion.validation import validate_samples
    from ingestion.writer import write_samples

    t0 = time.process_time()
    parsed = parse_line_protocol_columns(text, "ns", now_us)  # what the write endpoints call
    t1 = time.process_time()
    checked = validate_samples(parsed.samples, now_us, limits_from_settings())
    t2 = time.process_time()
    write_samples(checked.samples, lazy_spans=True)  # as the write endpoints do
    t3 = time.process_time()
    assert not parsed.errors and not checked.errors
    return t1 - t0, t2 - t1, t3 - t2


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bodies", type=int, default=40, help="bodies profiled (default 40)")
    parser.add_argument("--spacing", type=int, default=1, help="seconds between a series' points")
    parser.add_argument("--top", type=int, default=25, help="functions listed (default 25)")
    args = parser.parse_args(argv)
    with scratch_database("tsmon_profile"):
        profile(args)


def profile(args) -> None:
    from django.utils import timezone

    from ingestion.ingest import to_us

    now_us = to_us(timezone.now())
    span_s = (args.bodies + 2) * PER_SERIES * args.spacing
    start_s = now_us // 1_000_000 - 120 - span_s
    texts = [body(i, start_s, args.spacing) for i in range(args.bodies + 2)]
    for text in texts[:2]:
        stages(text, now_us)  # series, partitions, caches
    points = args.bodies * N_SERIES * PER_SERIES
    print(f"{points:,} points, {args.spacing} s spacing")
    print_stages("plain", run_all(texts[2:], now_us, None), points)
    profiler = cProfile.Profile()
    print_stages("cProfile", run_all(texts[2:], now_us, profiler), points)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(args.top)


def run_all(texts: list[str], now_us: int, profiler) -> list[float]:
    """CPU seconds per stage over all bodies, and the wall-clock seconds of
    them all; each run starts from an empty points table."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE ingestion_landing, ingestion_chunk")
    totals = [0.0, 0.0, 0.0]
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    for text in texts:
        for i, seconds in enumerate(stages(text, now_us)):
            totals[i] += seconds
    if profiler:
        profiler.disable()
    return totals, time.perf_counter() - started


def print_stages(label: str, measured: tuple[list[float], float], points: int) -> None:
    totals, wall = measured
    names = ("parse", "validate", "write_samples")
    parts = "  ".join(
        f"{name} {seconds / points * 1e6:.2f} µs/point ({seconds / sum(totals):.0%})"
        for name, seconds in zip(names, totals, strict=True)
    )
    print(
        f"  {label:<9}CPU: {parts}  total {sum(totals) / points * 1e6:.2f} µs/point;"
        f" wall {wall / points * 1e6:.2f} µs/point"
    )


if __name__ == "__main__":
    main()
