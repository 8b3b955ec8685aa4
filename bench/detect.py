"""Detection through the whole job (read, score, write) beside pure scoring.

    .venv/bin/python bench/detect.py                   # 40 series x 2 days at 1 minute
    .venv/bin/python bench/detect.py --series 10 --days 1

In one run, against a scratch database it creates and drops:

1. the limit: the streaming detector alone, fed each series' arrays in
   memory (no database), in points/s;
2. the detection job in one process (`run_detectors`, shard 0 of 1): points
   read from PostgreSQL, scored, anomalies, events and the pickled state
   written, per series in one transaction;
3. the same job split in 2 shards run by 2 worker processes at once, as two
   Celery workers would run it.

It prints series x points per second for each and the ratio to the limit.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import time

import numpy as np
from harness import scratch_database, setup_django  # noqa: E402  (bench/ is on sys.path when run as a script)


def synthetic(n_series: int, n_points: int) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    minutes = np.arange(n_points)
    out = []
    for _ in range(n_series):
        values = 50 + 15 * np.sin(2 * np.pi * minutes / 1440) + rng.normal(0, 2, n_points)
        values[rng.integers(n_points // 4, n_points, 5)] += 40
        out.append(values)
    return out


def store(series_values: list[np.ndarray], end: dt.datetime) -> None:
    from ingestion.samples import Sample
    from ingestion.writer import write_samples

    n = len(series_values[0])
    start_us = int(end.timestamp()) * 1_000_000 - n * 60_000_000
    for i, values in enumerate(series_values):
        labels = (("host", f"h{i:03d}"),)
        write_samples(
            [
                Sample("bench_load", labels, start_us + j * 60_000_000, float(v), j)
                for j, v in enumerate(values)
            ]
        )


def pure_scoring(series_values: list[np.ndarray]) -> float:
    from analytics.algorithms.detector import StreamingDetector

    ts = np.arange(len(series_values[0]), dtype=np.int64) * 60_000_000_000
    started = time.perf_counter()
    for values in series_values:
        StreamingDetector().update(ts, values)
    return time.perf_counter() - started


def reset_detection() -> None:
    from analytics.models import Anomaly, AnomalyEvent, DetectorState
    from core.models import JobRun

    for model in (Anomaly, AnomalyEvent, DetectorState, JobRun):
        model.objects.all().delete()


def job_in_process(end: dt.datetime) -> float:
    from analytics.jobs import run_detectors

    started = time.perf_counter()
    run_detectors(end)
    return time.perf_counter() - started


def _start_worker(scratch: str) -> None:
    import os

    os.environ["TSMON_LOG_LEVEL"] = "WARNING"
    setup_django(scratch, migrate=False)
    import analytics.jobs  # noqa: F401  (imports scikit-learn: not part of the measured work)


def _shard_worker(end: dt.datetime, shard: int, n_shards: int) -> int:
    from analytics.jobs import run_detectors

    return run_detectors(end, shard=shard, n_shards=n_shards)["points"]


def job_in_workers(scratch: str, end: dt.datetime, n_workers: int) -> tuple[float, int]:
    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("spawn")  # fresh processes, as separate workers would be
    with context.Pool(n_workers, initializer=_start_worker, initargs=(scratch,)) as pool:
        pool.map(time.sleep, [0.5] * n_workers)  # every worker has started and set up Django
        started = time.perf_counter()
        points = sum(pool.starmap(_shard_worker, [(end, i, n_workers) for i in range(n_workers)]))
        return time.perf_counter() - started, points


def report(label: str, points: int, seconds: float, limit: float | None) -> float:
    rate = points / seconds
    ratio = f"{rate / limit:>8.2f}" if limit else f"{'1.00':>8}"
    print(f"{label:<44}{points:>10,}{seconds:>9.1f}{rate:>12,.0f}{ratio}", flush=True)
    return rate


def bench(args, scratch: str) -> None:
    from analytics.models import Detector

    n_points = args.days * 1440
    end = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) - dt.timedelta(minutes=5)
    series_values = synthetic(args.series, n_points)
    store(series_values, end)
    Detector.objects.exclude(name="default").update(enabled=False)
    total = args.series * n_points
    print(f"{args.series} series x {n_points:,} points, {multiprocessing.cpu_count()} CPUs\n")
    print(f"{'what':<44}{'points':>10}{'seconds':>9}{'points/s':>12}{'ratio':>8}")
    limit = report("detector alone, in memory (the limit)", total, pure_scoring(series_values), None)
    reset_detection()
    report("detection job, 1 process", total, job_in_process(end), limit)
    for workers in args.workers:
        reset_detection()
        seconds, points = job_in_workers(scratch, end, workers)
        if points != total:
            raise RuntimeError(f"{workers} workers scored {points} points, expected {total}")
        report(f"detection job, {workers} shards in {workers} processes", total, seconds, limit)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--series", type=int, default=40)
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--workers", type=int, nargs="+", default=[2])
    args = parser.parse_args(argv)
    with scratch_database("tsmon_bench_detect") as scratch:
        bench(args, scratch)


if __name__ == "__main__":
    main()
