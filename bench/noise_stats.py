"""What bench/detection_noise.py counts, as plain functions of plain records.

No database and no Django: the bench reads events and flagged points out of
PostgreSQL into these records, and the tests feed hand-made ones.

An event "overlaps" an injected anomaly when both are on the same series and
the event meets the anomaly's window extended by `grace` after its end: the
return to normal at the end of a level shift or an outage is caused by the
anomaly, and counting it as noise would blame the detector for seeing it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, replace

from demo.data import STEP_SECONDS, DemoData

SCORE_EDGES = (0.5, 0.6, 0.7, 0.8, 0.9)  # lower edges of the score bins of events
HIGH_SCORE = 0.8


@dataclass(frozen=True)
class Event:
    detector: str
    series: str  # the series key, metric{labels}
    metric: str
    start: dt.datetime
    end: dt.datetime
    peak_score: float


@dataclass(frozen=True)
class Window:
    """An injected anomaly, on the series it is in."""

    kind: str
    series: str
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class Match:
    """How one detector did on one injected anomaly."""

    n_events: int
    first_point_delay: dt.timedelta | None  # first flagged point after the start; None: none in the window
    peak_score: float | None

    @property
    def detected(self) -> bool:
        return self.n_events > 0


def overlaps(event: Event, window: Window, grace: dt.timedelta) -> bool:
    return event.series == window.series and event.start <= window.end + grace and event.end >= window.start


def outside(events: list[Event], windows: list[Window], grace: dt.timedelta) -> list[Event]:
    """The events that overlap none of the windows: noise."""
    return [e for e in events if not any(overlaps(e, w, grace) for w in windows)]


def match(window: Window, events: list[Event], flagged: list[dt.datetime], grace: dt.timedelta) -> Match:
    """One detector's events and flagged point times (of the window's series) against the window."""
    hits = [e for e in events if overlaps(e, window, grace)]
    inside = [t for t in flagged if window.start <= t <= window.end + grace]
    return Match(
        n_events=len(hits),
        first_point_delay=min(inside) - window.start if inside else None,
        peak_score=max((e.peak_score for e in hits), default=None),
    )


def in_first_day(events: list[Event], first_ts: dict[str, dt.datetime], hours: float = 24) -> list[Event]:
    """Events starting within `hours` of their series' first point (the detector still learning)."""
    span = dt.timedelta(hours=hours)
    return [e for e in events if e.series in first_ts and e.start < first_ts[e.series] + span]


def score_bins(events: list[Event]) -> dict[str, int]:
    """How many events have their peak score in each bin of SCORE_EDGES, lowest first."""
    counts = Counter()
    for event in events:
        lower = max((edge for edge in SCORE_EDGES if event.peak_score >= edge), default=None)
        counts[lower] += 1
    labels = {None: f"<{SCORE_EDGES[0]}"}
    for lower, upper in zip(SCORE_EDGES, (*SCORE_EDGES[1:], 1.0), strict=True):
        labels[lower] = f"{lower:.1f}-{upper:.1f}"
    return {labels[k]: counts[k] for k in labels if counts[k] or k is not None}


def by_metric(events: list[Event]) -> dict[str, list[Event]]:
    grouped = defaultdict(list)
    for event in events:
        grouped[event.metric].append(event)
    return dict(grouped)


def per_series_week(n_events: int, n_series: int, days: float) -> float:
    """Events per series per week over `days` of data."""
    return n_events / n_series / (days / 7) if n_series and days else float("nan")


def subset(data, hosts: list[str] | None = None, days: float | None = None):
    """The demo data of `hosts` only, and its last `days` only; anomalies clipped to what is kept.

    A smaller run for a quick look: the anomalies sit at fixed days from the
    demo's start, so keeping the *last* days keeps the late ones in place.
    """
    keep = (
        data.timestamps_us.size
        if days is None
        else min(data.timestamps_us.size, int(days * 86400 / STEP_SECONDS))
    )
    first = data.timestamps_us.size - keep
    start = data.start + dt.timedelta(seconds=first * STEP_SECONDS)
    series = [
        replace(s, values=s.values[first:]) for s in data.series if hosts is None or s.labels["host"] in hosts
    ]
    anomalies = [
        replace(a, start=max(a.start, start))
        for a in data.anomalies
        if (hosts is None or a.host in hosts) and a.end >= start
    ]
    return DemoData(start, data.timestamps_us[first:], series, anomalies)


def demo_end(text: str | None, now: dt.datetime) -> dt.datetime:
    """The demo's last minute: `now`, an ISO time, or by default the last Monday 00:00 UTC.

    The generator's cycles and anomalies follow the clock (hour of day, day of
    week), so data ending at `now` differs from run to run; ending on a fixed
    weekday and hour, every run sees the same values (the dates move by weeks).
    """
    if text == "now":
        return now
    if text:
        end = dt.datetime.fromisoformat(text)
        return end if end.tzinfo else end.replace(tzinfo=dt.UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight - dt.timedelta(days=midnight.weekday())
