"""Stream labelled CSV files through the default detector, causally, and write the scores.

Usage (from the project's root)::

    python -m analytics.backtest DIR OUT [--chunk N] [--params JSON]

Every ``DIR/<category>/<name>.csv`` (columns ``timestamp,value``; timestamps
read as UTC) is fed to a fresh :class:`~analytics.algorithms.detector.StreamingDetector`
in chunks of ``--chunk`` points, exactly as a live job feeds new points, and
``OUT/<category>/<name>.csv`` gets ``timestamp,value,anomaly_score``, one row per
input row, timestamps copied verbatim. Labels are never read. ``--params``
gives the detector parameters other than the defaults, as a detector's
``params`` does (for example ``'{"likelihood_window": 20}'``).

This module does not import Django.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.algorithms.detector import Detections, StreamingDetector, concat_detections


def unique_increasing(ts: np.ndarray) -> np.ndarray:
    """Shift repeated timestamps forward by whole nanoseconds, keeping the file's order.

    Two NAB files repeat timestamps; the database's (series, ts) key would not,
    but the backtest must still score every row in order.
    """
    steps = np.arange(ts.size, dtype=np.int64)
    return np.maximum.accumulate(ts - steps) + steps


def score_arrays(detector: StreamingDetector, ts: np.ndarray, values: np.ndarray, chunk: int) -> Detections:
    """Feed ``ts`` (int64 ns) and ``values`` to ``detector`` ``chunk`` points at a time, as a live job does."""
    parts = [detector.update(ts[i : i + chunk], values[i : i + chunk]) for i in range(0, ts.size, chunk)]
    return concat_detections(parts)


def score_file(path: Path, chunk: int, params: dict | None = None) -> pd.DataFrame:
    """Scores of one ``timestamp,value`` file, fed ``chunk`` points at a time to a detector of ``params``."""
    frame = pd.read_csv(path, dtype={"timestamp": str})
    ts = unique_increasing(pd.DatetimeIndex(pd.to_datetime(frame["timestamp"], utc=True)).as_unit("ns").asi8)
    values = pd.to_numeric(frame["value"], errors="coerce").to_numpy(dtype=np.float64)
    score = score_arrays(StreamingDetector(**(params or {})), ts, values, chunk).score
    # NAB-style files need a number on every row: an unknown value gets 0.
    return pd.DataFrame(
        {"timestamp": frame["timestamp"], "value": frame["value"], "anomaly_score": np.nan_to_num(score)}
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", type=Path, help="folder of <category>/<name>.csv files")
    parser.add_argument("out", type=Path, help="folder for <category>/<name>.csv results")
    parser.add_argument(
        "--chunk", type=int, default=1000, help="points per update call (results do not depend on it)"
    )
    parser.add_argument("--params", type=json.loads, default={}, help="detector parameters, as JSON")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    files = sorted(args.data.glob("*/*.csv"))
    n_points = 0
    for path in files:
        result = score_file(path, args.chunk, args.params)
        target = args.out / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        result.to_csv(target, index=False)
        n_points += len(result)
    seconds = time.perf_counter() - started
    print(f"{len(files)} files, {n_points} points scored in {seconds:.1f}s -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
