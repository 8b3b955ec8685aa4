"""Write 48-step forecasts with 95 % intervals for M4-format files, and report their coverage.

Usage (from the project's root)::

    python -m analytics.evaluate_forecast TRAIN TEST OUT.csv [--model regression|snaive]

TRAIN and TEST are M4-format CSVs (``"V1","V2",...``; V1 is the series id,
train rows are right-padded with empty cells). OUT.csv gets one row per series,
``id,h1..h48``, which ``../shared/bench/m4_eval.py --forecasts OUT.csv``
scores; the 95 % interval goes to ``OUT.intervals.csv`` (``id,kind,h1..h48``
with kind ``lo-95`` / ``hi-95``). TEST is only read to print the interval
coverage after every forecast is written, never to make one.

This module does not import Django: it is the forecasting core run on files.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.algorithms.regression import RegressionForecaster
from analytics.algorithms.seasonal_naive import SeasonalNaive

HORIZON = 48
LEVEL = 95
# M4 gives no timestamps; any hourly grid works since only positions matter.
START = pd.Timestamp("2000-01-01", tz="UTC")


def read_m4(path: Path) -> dict[str, np.ndarray]:
    """Series id -> float array from an M4-format CSV."""
    out = {}
    with open(path, newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        for row in reader:
            if row:
                out[row[0]] = np.array([float(v) for v in row[1:] if v not in ("", "NA")])
    return out


def make_model(name: str):
    if name == "snaive":
        return SeasonalNaive(season_length=24)
    return RegressionForecaster()


def forecast_one(values: np.ndarray, model_name: str) -> pd.DataFrame:
    y = pd.Series(values, index=pd.date_range(START, periods=values.size, freq="1h"))
    return make_model(model_name).fit(y).predict(HORIZON, level=[LEVEL])


def write_rows(path: Path, header: list[str], rows: list[list]) -> None:
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("train", type=Path)
    parser.add_argument("test", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--model", choices=["regression", "snaive"], default="regression")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    train = read_m4(args.train)
    steps = [f"h{k}" for k in range(1, HORIZON + 1)]
    points, bands = [], []
    for series_id, values in train.items():
        frame = forecast_one(values, args.model)
        points.append([series_id, *map(repr, frame["mean"].to_numpy().tolist())])
        bands.append([series_id, f"lo-{LEVEL}", *frame[f"lo-{LEVEL}"].to_numpy().tolist()])
        bands.append([series_id, f"hi-{LEVEL}", *frame[f"hi-{LEVEL}"].to_numpy().tolist()])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_rows(args.out, ["id", *steps], points)
    write_rows(args.out.with_suffix(".intervals.csv"), ["id", "kind", *steps], bands)
    seconds = time.perf_counter() - started
    coverage = interval_coverage(bands, read_m4(args.test))
    print(
        f"{len(points)} series forecast in {seconds:.1f}s; {LEVEL}% interval covers {100 * coverage:.1f}% of test points"
    )
    return 0


def interval_coverage(bands: list[list], test: dict[str, np.ndarray]) -> float:
    """Share of test points inside their interval (read after all forecasts are written)."""
    inside = []
    for lo_row, hi_row in zip(bands[0::2], bands[1::2], strict=True):
        actual = test[lo_row[0]][:HORIZON]
        lo, hi = np.array(lo_row[2:], float), np.array(hi_row[2:], float)
        inside.append((actual >= lo) & (actual <= hi))
    return float(np.mean(inside))


if __name__ == "__main__":
    sys.exit(main())
