"""What the report builders are handed: plain dataclasses that `reports.inputs` fills from the database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from analytics.algorithms.capacity import ThresholdCrossing


@dataclass
class SeriesInfo:
    """Who a series is: enough to name it in a sentence, and the values it can take."""

    key: str
    metric: str
    labels: dict
    unit: str = ""
    capacity: float | None = None
    # (lower, upper) as `analytics.forecasting.series_bounds` says: 0-100 for a percentage.
    bounds: tuple[float | None, float | None] = (None, None)


@dataclass
class Coverage:
    """What one series' data looked like over the report's period.

    `counts` holds points per `step` bucket, indexed by bucket start (empty
    buckets absent), as `ingestion.queries.downsample(..., "count")` returns them.
    """

    series: SeriesInfo
    counts: pd.Series
    step: dt.timedelta


@dataclass
class SeriesForecastInput:
    """One series' recent history and its forecast (or why there is none)."""

    series: SeriesInfo
    history: pd.Series  # mean per forecast step, gaps NaN
    forecast: pd.DataFrame | None = None  # mean, lo-<level>, hi-<level>
    model: str = ""
    skill: dict = field(default_factory=dict)
    threshold: float | None = None
    crossing: ThresholdCrossing | None = None
    step: dt.timedelta = dt.timedelta(hours=1)
    not_forecast_because: str = ""
    method: str = ""  # the chosen model in words ("seasonal naive (the last day repeated)")


@dataclass
class EventInput:
    """One anomaly event with the data around it."""

    series: SeriesInfo
    start: dt.datetime
    end: dt.datetime
    peak_score: float
    peak_ts: dt.datetime
    n_points: int
    direction: int
    detector: str
    context: pd.Series  # values around the event
    flagged: pd.DataFrame  # the event's anomalous points: value, expected, lo, hi
    # A peer-group detector stores a window's verdict at the window's end:
    # its event covers one window more before `start` than the times it names.
    window: dt.timedelta | None = None


@dataclass
class AlertInput:
    rule: str
    severity: str
    series: SeriesInfo
    state: str
    started_at: dt.datetime
    fired_at: dt.datetime | None
    resolved_at: dt.datetime | None


@dataclass
class PeerGroupInput:
    """The series of one metric across the hosts of one role (web-1…web-4).

    `frames` holds one frame per compared feature, one column per host on a
    regular grid: `level` (mean per bucket) and `variability` (standard
    deviation per bucket), so a host that turns noisy stands out as clearly
    as one that runs hot.
    """

    metric: str
    group: str  # e.g. `web-*`
    frames: dict[str, pd.DataFrame]
    series: dict[str, SeriesInfo]  # host -> series


@dataclass
class ReportRequest:
    kind: str
    start: dt.datetime
    end: dt.datetime
    scope: str = ""
    title: str = ""
    params: dict = field(default_factory=dict)
