"""Backtest a detector on stored series: what would it have flagged?

`manage.py backtest OUT` streams the points of the selected series through
a fresh detector (the default, or the parameters of a named Detector),
causally and chunk by chunk as a live job does, and writes one
`OUT/<metric>/<series id>.csv` per series in the format of
`python -m analytics.backtest` (`timestamp,value,anomaly_score`), so the same
scorers and notebooks read both. Nothing is stored in the database: it is a
way to try a detector's parameters on history before enabling them.

The stretches people marked as false positives (analytics.false_positives)
are the labels this evaluation has: each series says how many of the
events it would start fall on one, and `OUT/false_positives.csv` lists
them for the notebooks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from analytics.algorithms.detector import StreamingDetector
from analytics.backtest import score_arrays
from analytics.false_positives import count_inside
from analytics.models import FalsePositive
from ingestion.models import Series
from ingestion.queries import read_series_frame

# Points of one series held at a time; a year at one minute is ~525k.
MAX_POINTS_PER_SERIES = 2_000_000


class SeriesBacktest(NamedTuple):
    series: Series
    path: Path
    points: int
    events: int  # anomaly events the detector would have started
    max_score: float
    on_false_positives: int = 0  # of those events, how many start in a stretch marked false positive


def backtest_series(
    series: Iterator[Series],
    params: dict,
    start: dt.datetime,
    end: dt.datetime,
    out: Path,
    chunk: int,
    marked: dict[int, list[tuple[dt.datetime, dt.datetime]]] | None = None,
) -> Iterator[SeriesBacktest]:
    """Score each series in [start, end) with a fresh ``StreamingDetector(**params)``; write its CSV.
    `marked` holds the false-positive stretches per series id (`false_positives.windows`)."""
    for one in series:
        frame = read_series_frame(one.pk, start, end).iloc[-MAX_POINTS_PER_SERIES:]
        ts = frame.index.as_unit("ns").asi8
        detections = score_arrays(StreamingDetector(**params), ts, frame.to_numpy(), chunk)
        path = out / one.metric / f"{one.pk}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        scores = np.nan_to_num(detections.score)
        pd.DataFrame(
            {
                "timestamp": frame.index.strftime("%Y-%m-%d %H:%M:%S.%f"),
                "value": frame.to_numpy(),
                "anomaly_score": scores,
            }
        ).to_csv(path, index=False)
        max_score = float(scores.max()) if scores.size else 0.0
        on_marks = count_inside(ts[detections.alarm], (marked or {}).get(one.pk, []))
        yield SeriesBacktest(one, path, int(ts.size), int(detections.alarm.sum()), max_score, on_marks)


def write_false_positives(series_ids: list[int], out: Path) -> int:
    """`OUT/false_positives.csv`: the marked stretches of these series; return how many."""
    rows = FalsePositive.objects.filter(series_id__in=series_ids).order_by("series_id", "start")
    frame = pd.DataFrame(
        list(rows.values_list("series_id", "series__key", "start", "end", "reason")),
        columns=["series_id", "series_key", "start", "end", "reason"],
    )
    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / "false_positives.csv", index=False)
    return len(frame)
