"""What a report rests on: the series, their points and the gaps in them."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from reports.builders.outline import iso


def describe_coverage(coverage: list, start: dt.datetime, end: dt.datetime) -> dict:
    """Series, points and gaps in [start, end): what the report's statements rest on."""
    rows, gaps = [], []
    for item in coverage:
        series_gaps = find_gaps(item.counts, start, end, item.step)
        gaps += [{"series": item.series.key, **gap} for gap in series_gaps]
        rows.append(
            {
                "series": item.series.key,
                "points": int(item.counts.sum()),
                "gaps": len(series_gaps),
                "missing_seconds": sum(g["duration_seconds"] for g in series_gaps),
            }
        )
    return {
        "start": iso(start),
        "end": iso(end),
        "n_series": len(rows),
        "n_points": sum(r["points"] for r in rows),
        "series": rows,
        "gaps": gaps,
    }


def find_gaps(counts: pd.Series, start: dt.datetime, end: dt.datetime, step: dt.timedelta) -> list[dict]:
    """Runs of empty `step` buckets in [start, end) longer than the series' usual spacing.

    `counts` is points per bucket (bucket start → count, empty buckets absent).
    A series sampled less often than `step` leaves single empty buckets
    between its points: those are its rhythm, not gaps, so a run counts only
    when it is longer than twice the series' mean spacing.
    """
    n_buckets = max(1, math.ceil((end - start) / step))
    present = np.zeros(n_buckets, dtype=bool)
    if len(counts):
        offsets = ((counts.index - pd.Timestamp(start)) / pd.Timedelta(step)).astype(int)
        present[offsets[(offsets >= 0) & (offsets < n_buckets)]] = True
    n_points = int(counts.sum()) if len(counts) else 0
    spacing = (end - start) / n_points if n_points else end - start
    gaps = []
    for first, last in _false_runs(present):
        gap_start = start + first * step
        gap_end = min(end, start + (last + 1) * step)
        if gap_end - gap_start > 2 * spacing or n_points == 0:
            gaps.append(
                {
                    "start": iso(gap_start),
                    "end": iso(gap_end),
                    "duration_seconds": (gap_end - gap_start).total_seconds(),
                }
            )
    return gaps


def _false_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    padded = np.concatenate([[True], mask, [True]]).astype(np.int8)
    changes = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b) - 1) for a, b in zip(changes[::2], changes[1::2], strict=True)]
