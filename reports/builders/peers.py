"""Peer-group outliers: members of a group that behave unlike the rest, day by day, then hour by hour.

A day is the unit of judgement (one bad day should stand out, not be
averaged away over a week, and a day holds enough buckets to be judged
fairly); the hours of a flagged day then say when within it, so that a
three-hour shift is not reported as a day-long one.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from analytics.algorithms.peer import peer_outliers
from analytics.algorithms.peer_groups import peer_windows
from reports.builders.input_types import PeerGroupInput
from reports.builders.outline import iso
from reports.builders.words import describe_series

DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)
_PEER_WORDS = {
    ("level", 1): "above its peers",
    ("level", -1): "below its peers",
    ("variability", 1): "noisier than its peers",
    ("variability", -1): "steadier than its peers",
}


def find_peer_outliers(
    group: PeerGroupInput, window: dt.timedelta = DAY, narrow_to: dt.timedelta = HOUR
) -> list[dict]:
    """Spans in which a member of `group` stood out, strongest first (`analytics.algorithms.peer`, MAD)."""
    items = []
    for feature, frame in group.frames.items():
        flagged: dict[str, list[tuple]] = {}
        for window_start, part in peer_windows(frame, window):
            start = window_start.to_pydatetime()
            result = peer_outliers(part)
            for host, row in result[result["outlier"]].iterrows():
                first, last = _narrow(part, host, start, start + window, narrow_to)
                verdict = (float(row["score"]), float(row["distance"]), int(row["direction"]))
                flagged.setdefault(host, []).append((first, last, *verdict))
        for host, spans in sorted(flagged.items()):
            items += [_peer_item(group, feature, host, span) for span in _merge(spans)]
    return sorted(items, key=lambda item: (-item["score"], item["start"]))


def _narrow(part: pd.DataFrame, host: str, start: dt.datetime, end: dt.datetime, step: dt.timedelta):
    """The first and last `step` of [start, end) in which `host` stands out on its own; the
    whole window when none does (a drift no single hour shows is still the window's)."""
    hours = []
    for sub_start, sub in peer_windows(part, step):
        verdict = peer_outliers(sub)
        if host in verdict.index and verdict.loc[host, "outlier"]:
            hours.append(sub_start.to_pydatetime())
    if not hours:
        return start, end
    return min(hours), max(hours) + step


def _merge(spans: list[tuple]) -> list[tuple]:
    """Spans of consecutive flagged windows as one, with the strongest verdict."""
    merged = []
    for start, end, score, distance, direction in sorted(spans):
        if merged and merged[-1][1] >= start - HOUR:  # the hour before midnight may be quiet
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], end), max(last[2], score), max(last[3], distance), last[4])
        else:
            merged.append((start, end, score, distance, direction))
    return merged


def _peer_item(group: PeerGroupInput, feature: str, host: str, span: tuple) -> dict:
    start, end, score, distance, direction = span
    series = group.series[host]
    return {
        "feature": feature,
        "key": series.key,
        "name": describe_series(series),
        "group": group.group,
        "host": host,
        "metric": group.metric,
        "start": iso(start),
        "end": iso(end),
        "score": round(score, 3),
        "distance": round(distance, 2),
        "direction": _PEER_WORDS.get((feature, direction), "unlike its peers"),
    }
