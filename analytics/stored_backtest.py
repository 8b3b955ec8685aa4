"""Backtest a detector on stored series: what would it have flagged?

`manage.py backtest OUT` streams the points of the selected series through
a fresh detector (the default, or the parameters of a named Detector),
causally and chunk by chunk as a live job does, and writes one
`OUT/<metric>/<series id>.csv` per series in the format of
`python -m analytics.backtest` (`timestamp,value,anomaly_score`), so the same
scorers and notebooks read both. Nothing is stored in the database: it is a
way to try a detector's parameters on history before enabling them.
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


def backtest_series(
    series: Iterator[Series], params: dict, start: dt.datetime, end: dt.datetime, out: Path, chunk: int
) -> Iterator[SeriesBacktest]:
    """Score each series in [start, end) with a fresh ``StreamingDetector(**params)``; write its CSV."""
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
        yield SeriesBacktest(one, path, int(ts.size), int(detections.alarm.sum()), max_score)
