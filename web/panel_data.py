"""What a panel shows: the series its selector matches, each aggregated per step
over the panel's window, read as /api/v1/points reads them.

Series come from the selector parser and `ingestion.queries.select_series`,
points from `ingestion.queries.downsample` (the read function
tsmon_series_points, buckets from the window's start): the same series and
the same numbers as `/api/v1/points?match=…&step=…&agg=…` for that window.
The page's chart and the SVG, PNG and CSV exports are all drawn from one
PanelData, so a download holds what the panel shows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from core.durations import format_seconds, parse_duration
from ingestion.models import Series
from ingestion.queries import PointRow, downsample, select_series
from ingestion.selectors import SelectorError, parse_selector
from web.anomaly_queries import choose_step
from web.models import Panel

MAX_SERIES = 20  # lines on one chart: more is unreadable, and a selector to narrow
MAX_BUCKETS = 2000  # per series: a finer step asked for is drawn coarser (a chart is 1000 wide)


@dataclass
class PanelSeries:
    """One series of a panel, with its points as arrays (epoch seconds, values)."""

    series: Series
    label: str  # what sets it apart from the panel's other series
    ts: np.ndarray
    value: np.ndarray

    @property
    def minimum(self) -> float | None:
        known = self._known()
        return float(known.min()) if known.size else None

    @property
    def maximum(self) -> float | None:
        known = self._known()
        return float(known.max()) if known.size else None

    @property
    def last(self) -> float | None:
        known = self._known()
        return float(known[-1]) if known.size else None

    def _known(self) -> np.ndarray:
        # A bucket's stddev or variance of one point is undefined (NULL, here NaN).
        return self.value[np.isfinite(self.value)]


@dataclass
class PanelData:
    panel: Panel
    start: dt.datetime
    end: dt.datetime
    step: dt.timedelta
    series: list[PanelSeries] = field(default_factory=list)
    rows: list[PointRow] = field(default_factory=list)  # every point, by series id then time
    notes: list[str] = field(
        default_factory=list
    )  # what the reader should know: a coarser step, series left out
    error: str = ""  # why nothing could be read (a selector PostgreSQL refuses now)

    @property
    def unit(self) -> str:
        """The series' unit if they share one, else none."""
        units = {s.series.unit for s in self.series}
        return units.pop() if len(units) == 1 else ""


def panel_step(panel: Panel, span: dt.timedelta) -> tuple[dt.timedelta, str]:
    """The step a panel is drawn with over `span`, and a note if it is not the one asked for."""
    if not panel.step:
        return choose_step(span), ""
    asked = parse_duration(panel.step, "step")
    if span / asked <= MAX_BUCKETS:
        return asked, ""
    coarser = choose_step(span, MAX_BUCKETS)
    return coarser, (
        f"drawn in {format_seconds(int(coarser.total_seconds()))} buckets: the step of {panel.step} would make more than "
        f"{MAX_BUCKETS} over this window"
    )


def load_panel(panel: Panel, start: dt.datetime, end: dt.datetime) -> PanelData:
    """Read what `panel` shows over [start, end): at most MAX_SERIES series, by key."""
    step, note = panel_step(panel, end - start)
    data = PanelData(panel, start, end, step, notes=[note] if note else [])
    try:
        matched = select_series(parse_selector(panel.selector))
    except SelectorError as exc:
        data.error = f"The selector is refused: {exc}"
        return data
    series = list(matched.order_by("key")[: MAX_SERIES + 1])
    if len(series) > MAX_SERIES:
        series = series[:MAX_SERIES]
        data.notes.append(
            f"the first {MAX_SERIES} of {matched.count()} series by name; narrow the selector to see the others"
        )
    data.rows = downsample([s.pk for s in series], start, end, step, panel.aggregation)
    data.series = _arrays(series, data.rows)
    return data


def _arrays(series: list[Series], rows: list[PointRow]) -> list[PanelSeries]:
    points = defaultdict(list)
    for row in rows:
        points[row.series_id].append((row.ts.timestamp(), row.value))
    labels = peer_labels([(s.metric, s.labels) for s in series])
    out = []
    for s, label in zip(series, labels, strict=True):
        table = np.array(points[s.pk], dtype=np.float64).reshape(-1, 2)
        out.append(PanelSeries(s, label, table[:, 0], table[:, 1]))
    return out


def peer_labels(series: list[tuple[str, dict[str, str]]]) -> list[str]:
    """A short name for each of several series: the labels (and the metric) in which
    they differ, as `{host="web-1"}`; a lone series (or identical ones) by its whole key."""
    metrics = {metric for metric, _ in series}
    names = {name for _, labels in series for name in labels}
    differing = {name for name in names if len({labels.get(name) for _, labels in series}) > 1}
    if not differing and len(metrics) == 1:
        return [Series.make_key(metric, labels) for metric, labels in series]
    shown = metrics if len(metrics) > 1 else set()
    # A series that lacks every differing label goes by its whole key (an empty name says nothing).
    return [
        Series.make_key(metric if shown else "", {k: v for k, v in labels.items() if k in differing})
        or Series.make_key(metric, labels)
        for metric, labels in series
    ]
