"""Line-protocol ingestion through gunicorn: tsmon's worker against gthread, in one run.

    .venv/bin/python bench/worker_class.py                 # 5 rounds of 200,000 points
    .venv/bin/python bench/worker_class.py --rounds 7 --points 500000

tsmon is served by `tsmon.web_worker.TsmonWorker` (greenlets per
connection, Django in threads; issue 18) since it replaced gunicorn's
gthread worker, which slow clients could exhaust. This bench checks that
the change does not make writes slower: on loopback, against a scratch
database, both servers run side by side (2 workers x 4 threads, as
`make run`: the same command line, only `--worker-class` differs) and each
round measures, from an empty points table,

1. raw binary COPY of the points (the limit; see bench/ingest.py),
2. line protocol through each server, in alternating order (4 client
   threads, 5,000 points a request, 1,000 series x 5 points).

It prints each round's points/s as a ratio to that round's COPY, the
medians over the rounds with their spread (min-max), and the median of
tsmon's worker over gthread's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from harness import gunicorn, scratch_database  # noqa: E402  (bench/ is on sys.path when run as a script)
from ingest import BATCH, SHAPES, Batch, check_stored, issue_key, measure_copy, post_all, truncate_points

SHAPE = "1000x5"
SERVERS = {"TsmonWorker": (), "gthread": ("--worker-class", "gthread")}


def bench(args, scratch: str) -> None:
    key = issue_key()
    n_batches = max(1, args.points // BATCH)
    start_s = int(time.time()) - 120 - n_batches * SHAPES[SHAPE][1]
    batches = [Batch(SHAPE, i, start_s) for i in range(n_batches)]
    warm = [Batch(SHAPE, -1 - i, start_s - 10) for i in range(8)]
    ratios: dict[str, list[float]] = {name: [] for name in SERVERS}
    print(
        f"{n_batches * BATCH:,} points a measurement, shape {SHAPE}, {args.rounds} rounds, {os.cpu_count()} CPUs\n"
    )
    with gunicorn(scratch, 2, 4, gunicorn_args=SERVERS["TsmonWorker"]) as (tsmon_port, _):
        with gunicorn(scratch, 2, 4, gunicorn_args=SERVERS["gthread"]) as (gthread_port, _):
            ports = {"TsmonWorker": tsmon_port, "gthread": gthread_port}
            for port in ports.values():
                post_all(port, key, "line-protocol", warm, 4)  # series, caches, connections
            for round_ in range(args.rounds):
                limit = n_batches * BATCH / measure_copy(SHAPE, n_batches, start_s)
                order = list(ports) if round_ % 2 == 0 else list(reversed(ports))
                line = f"round {round_ + 1}: COPY {limit:>9,.0f} points/s"
                for name in order:
                    truncate_points()
                    rate = n_batches * BATCH / post_all(ports[name], key, "line-protocol", batches, 4)
                    check_stored(n_batches * BATCH)
                    ratios[name].append(rate / limit)
                    line += f"   {name} {rate:>9,.0f} ({rate / limit:.1%} of COPY)"
                print(line, flush=True)
    report(ratios)


def report(ratios: dict[str, list[float]]) -> None:
    print("\nmedian vs COPY (spread over rounds):")
    for name, values in ratios.items():
        print(f"  {name:<12} {statistics.median(values):.1%}  ({min(values):.1%} - {max(values):.1%})")
    paired = [t / g for t, g in zip(ratios["TsmonWorker"], ratios["gthread"], strict=True)]
    print(
        f"TsmonWorker / gthread, per round: median {statistics.median(paired):.3f} "
        f"({min(paired):.3f} - {max(paired):.3f})"
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=200_000, help="points a measurement (default 200,000)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    args = parser.parse_args(argv)
    with scratch_database("tsmon_bench_worker") as scratch:
        bench(args, scratch)


if __name__ == "__main__":
    main()
