"""What a peer group is, for peer-group detection and for reports alike.

A peer group is one metric with the same labels across the hosts of one
role: `disk_used_percent{mount="/"}` of web-1 … web-4. The host is the `host`
label, else Prometheus' `instance`. The role is the host's name without its
number (`web-3` → `web-*`), because hosts of one role run the same load and
a database host next to web hosts would stand out every hour for being what
it is. A name without a number (`alpha`) and an `instance` (`10.0.0.7:9100`)
name no role: such hosts are compared with each other, and for an instance
Prometheus' `job`, which is among the shared labels, says what it runs.

Windows are aligned to the epoch, as PostgreSQL's date_bin aligns buckets,
so a window judged by the detection job is the same window a report reads.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .peer import MIN_MEMBERS

HOST_LABELS = ("host", "instance")
MIN_ROWS = 3  # buckets a window needs for a verdict: two are a line, not a behaviour


@dataclass(frozen=True)
class PeerGroup:
    """Members (objects with `metric` and `labels`, such as Series) by host name."""

    metric: str
    role: str
    labels: tuple[tuple[str, str], ...]  # the labels the members share
    members: dict[str, Any]

    @property
    def name(self) -> str:
        """`web-*`, or the hosts themselves where their names give no role."""
        return self.role or ", ".join(self.members)


def role_of(host: str) -> str:
    """The role in a host name: `web-3` → `web-*`, `db1` → `db*`; "" for a name without a number."""
    stem = re.sub(r"\d+$", "", host)
    return f"{stem}*" if stem != host else ""


def host_of(labels: dict[str, str]) -> str | None:
    """The host a series is about: its `host` label, else its `instance`; None without either."""
    return next((labels[name] for name in HOST_LABELS if labels.get(name)), None)


def peer_groups(series: Iterable[Any]) -> list[PeerGroup]:
    """The peer groups of `series` with at least MIN_MEMBERS members, in a stable order."""
    groups: dict[tuple, dict[str, Any]] = defaultdict(dict)
    for one in series:
        host = host_of(one.labels)
        if host is None:
            continue  # nothing to compare it across
        shared = tuple(sorted((k, v) for k, v in one.labels.items() if k not in HOST_LABELS))
        role = role_of(host) if one.labels.get("host") else ""
        groups[(one.metric, role, shared)][host] = one
    return [
        PeerGroup(metric, role, shared, dict(sorted(members.items())))
        for (metric, role, shared), members in sorted(groups.items())
        if len(members) >= MIN_MEMBERS
    ]


def peer_windows(frame: pd.DataFrame, window: dt.timedelta) -> Iterator[tuple[pd.Timestamp, pd.DataFrame]]:
    """The windows of `frame` (one column per member, a UTC DatetimeIndex) that can be judged:
    aligned to the epoch, each with the members that have values in it, and only where at
    least MIN_MEMBERS members and MIN_ROWS rows are left (a majority to differ from)."""
    if frame.shape[1] < MIN_MEMBERS or frame.empty:
        return
    for start, part in frame.groupby(frame.index.floor(pd.Timedelta(window))):
        part = part.dropna(axis=1, how="all")
        if part.shape[1] >= MIN_MEMBERS and len(part) >= MIN_ROWS:
            yield start, part
