"""When would a rule have fired? Replay it over the last 14 days.

The rule is evaluated every `EVALUATION_SECONDS` (as the scheduler does,
core.schedule) on history read through `ingestion.queries.read_series_frame`
and the stored anomalies, and each series' alert is moved by the model's own
state machine (`Alert.advance`), so `for` and `keep_firing_for` act as they
would live. Nothing is stored: the rule may be unsaved.

What it cannot replay, it says: forecast rules (only the latest forecast is
kept), and the staleness markers that end a series (not kept per point).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from alerts.choices import AlertState, RuleKind
from alerts.models import Alert, AlertRule
from analytics.models import Anomaly
from ingestion.models import Series
from ingestion.queries import read_series_frame, select_series

SPAN = dt.timedelta(days=14)
EVALUATION_SECONDS = 30  # the scheduler's evaluate_alert_rules interval
MAX_SERIES = 50  # each is up to 20k points at one-minute spacing; more would make the page slow


@dataclass(frozen=True)
class Firing:
    series: Series
    started_at: dt.datetime  # the condition first held (pending from here, if the rule has a `for`)
    fired_at: dt.datetime
    resolved_at: dt.datetime | None  # None: still firing at the end of the replay


@dataclass
class Preview:
    start: dt.datetime
    end: dt.datetime
    n_selected: int
    series: list[Series] = field(default_factory=list)  # the series replayed
    firings: list[Firing] = field(default_factory=list)
    n_pending_only: int = 0  # the condition held, but not for the rule's `for`
    note: str = ""  # why the replay is partial or impossible

    @property
    def n_series_fired(self) -> int:
        return len({f.series.pk for f in self.firings})

    def firing_fraction(self) -> float:
        """The share of series-time spent firing, over the replayed series."""
        if not self.series:
            return 0.0
        total = sum(((f.resolved_at or self.end) - f.fired_at for f in self.firings), dt.timedelta())
        return total / ((self.end - self.start) * len(self.series))


def preview_rule(rule: AlertRule, now: dt.datetime, span: dt.timedelta = SPAN) -> Preview:
    """Replay `rule` over [now - span, now] on the series its selector picks."""
    start = now - span
    selected = select_series(rule.parsed_selector(), Series.objects.order_by("key"))
    chosen = list(selected[: MAX_SERIES + 1])
    preview = Preview(start, now, selected.count() if len(chosen) > MAX_SERIES else len(chosen))
    if rule.kind == RuleKind.FORECAST:
        preview.note = "A forecast rule cannot be replayed: only each series' latest forecast is stored."
        return preview
    if len(chosen) > MAX_SERIES:
        chosen = chosen[:MAX_SERIES]
        preview.note = f"Replayed on the first {MAX_SERIES} of {preview.n_selected} series (by key)."
    grid = _grid(start, now)
    for series in chosen:
        condition = _conditions(rule, series, grid, start, now)
        firings, pending_only = replay(rule, series, grid, condition)
        preview.firings += firings
        preview.n_pending_only += pending_only
    preview.series = chosen
    preview.firings.sort(key=lambda f: (f.fired_at, f.series.key))
    return preview


def _grid(start: dt.datetime, end: dt.datetime) -> np.ndarray:
    """Evaluation times (int64 µs since the epoch), every EVALUATION_SECONDS up to `end`."""
    step = EVALUATION_SECONDS * 1_000_000
    first, last = _us(start) + step, _us(end)
    return np.arange(first, last + 1, step, dtype=np.int64)


def _conditions(rule: AlertRule, series: Series, grid: np.ndarray, start, end) -> np.ndarray:
    """Per evaluation time, does the rule's condition hold on this series?"""
    window = dt.timedelta(seconds=rule.window_seconds)
    frame = read_series_frame(series.pk, start - window, end + dt.timedelta(microseconds=1))
    ts = frame.index.as_unit("us").asi8
    values = frame.to_numpy()
    window_us = rule.window_seconds * 1_000_000
    # Points in (t - window, t]: from just after `lo` up to and including `hi`.
    hi = np.searchsorted(ts, grid, side="right")
    lo = np.searchsorted(ts, grid - window_us, side="right")
    has_point = hi > lo
    if rule.kind == RuleKind.NO_DATA:
        # Before its first point the series did not exist: the evaluator saw nothing to miss.
        existed = grid >= _us(series.first_ts) if series.first_ts else np.zeros(grid.shape, dtype=bool)
        return ~has_point & existed
    latest = np.where(has_point, values[np.maximum(hi - 1, 0)] if values.size else np.nan, np.nan)
    if rule.kind == RuleKind.THRESHOLD:
        return has_point & _compare(rule, latest)
    anomalous = _anomaly_times(rule, series, start - window, end)
    n_anomalous = np.searchsorted(anomalous, grid, side="right") - np.searchsorted(
        anomalous, grid - window_us, side="right"
    )
    n_points = np.maximum(hi - lo, 1)
    holds = has_point & (n_anomalous > 0) & (n_anomalous / n_points >= rule.min_fraction)
    if rule.kind == RuleKind.ANOMALY_THRESHOLD:
        holds &= _compare(rule, latest)
    return holds


def _compare(rule: AlertRule, values: np.ndarray) -> np.ndarray:
    """`rule.compare` over an array (its operators work element-wise); NaN (no point) never satisfies it."""
    if rule.threshold is None:
        return np.zeros(values.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        return np.asarray(rule.compare(values), dtype=bool) & ~np.isnan(values)


def _anomaly_times(rule: AlertRule, series: Series, start, end) -> np.ndarray:
    """Sorted distinct times (µs) of this series' anomalies scoring at least the rule's min_score,
    as the live evaluator counts them: a point several detectors flagged counts once."""
    rows = Anomaly.objects.filter(series=series, ts__gt=start, ts__lte=end, score__gte=rule.min_score)
    if rule.detector_id:
        rows = rows.filter(detector_id=rule.detector_id)
    times = pd.DatetimeIndex(list(rows.order_by().values_list("ts", flat=True).distinct()))
    return np.unique(times.as_unit("us").asi8) if len(times) else np.empty(0, dtype=np.int64)


def replay(
    rule: AlertRule, series: Series, grid: np.ndarray, condition: np.ndarray
) -> tuple[list[Firing], int]:
    """Move one series' alert through `Alert.advance` at each evaluation time.

    Steps where nothing can change (no alert and the condition false, or
    firing and the condition true) are skipped, so a quiet fortnight costs
    a few steps, not 40,000. Returns the firings and how many alerts
    resolved without ever firing (held for less than `for`).
    """
    true_at, false_at = np.flatnonzero(condition), np.flatnonzero(~condition)
    firings, pending_only, alert, i = [], 0, None, _next(true_at, -1)
    while i is not None:
        now = _when(grid[i])
        if alert is None:
            alert = Alert(rule=rule, series=series, state=AlertState.INACTIVE, started_at=now)
        alert.advance(bool(condition[i]), now)
        if alert.state in (AlertState.RESOLVED, AlertState.INACTIVE):
            if alert.fired_at is None:
                pending_only += 1
            else:
                firings.append(Firing(series, alert.started_at, alert.fired_at, now))
            alert, i = None, _next(true_at, i)
        elif alert.state == AlertState.FIRING and condition[i]:
            # Firing holds while the condition does: jump to its first false step.
            i = _next(false_at, i)
        else:
            i = i + 1 if i + 1 < len(grid) else None
    if alert is not None and alert.fired_at is not None:
        firings.append(Firing(series, alert.started_at, alert.fired_at, None))
    return firings, pending_only


def _next(indices: np.ndarray, after: int) -> int | None:
    """The first of the sorted `indices` greater than `after`, or None."""
    k = int(np.searchsorted(indices, after, side="right"))
    return int(indices[k]) if k < indices.size else None


def _us(when: dt.datetime) -> int:
    return int(round(when.timestamp() * 1e6))


def _when(us: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(us) / 1e6, dt.UTC)
