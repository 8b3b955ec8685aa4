"""Explore a tsmon database from Jupyter: pandas in, matplotlib out.

    from tsmon import notebook as tn
    tn.setup()                                   # the project's settings, DATABASE_URL from the environment
    tn.find_series("cpu_usage_percent")          # a table of matching series
    cpu = tn.series('cpu_usage_percent{host="web-1"}', start="now-3d", step="10m")
    tn.plot_series(cpu, rolling=tn.rolling('cpu_usage_percent{host="web-1"}', start="now-3d"))

Everything is read through the same functions as the REST API
(`ingestion.queries`, `analytics.queries`, `analytics.forecasting`), so a
notebook sees what the API and the pages see. Times are RFC 3339, epoch
seconds, `now-<duration>` or datetimes; all returned indexes are UTC.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes

DEFAULT_SPAN = dt.timedelta(days=1)


def setup(database_url: str | None = None) -> None:
    """Configure Django with tsmon's settings (once per kernel).

    The database is `database_url`, else `DATABASE_URL` from the environment,
    else the embedded PostgreSQL that `make run` uses.
    """
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tsmon.settings")
    # Jupyter runs cells inside an event loop; the ORM would refuse to run
    # there, although each cell is plain synchronous code.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    import django

    django.setup()


def _time(value, now: dt.datetime, parameter: str) -> dt.datetime:
    from core.time_range import parse_time

    if isinstance(value, dt.datetime | pd.Timestamp):
        when = pd.Timestamp(value)
        return (when.tz_localize("UTC") if when.tzinfo is None else when.tz_convert("UTC")).to_pydatetime()
    return parse_time(str(value), now, parameter)


def time_range(start=None, end=None) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) as aware datetimes; defaults: the day before now."""
    from django.utils import timezone

    now = timezone.now()
    end_dt = _time(end, now, "end") if end is not None else now
    start_dt = _time(start, now, "start") if start is not None else end_dt - DEFAULT_SPAN
    return start_dt, end_dt


def select(selector: str | int):
    """The series a selector matches (or the one with this id), as a queryset."""
    from ingestion.models import Series
    from ingestion.queries import select_series
    from ingestion.selectors import parse_selector

    if isinstance(selector, int | np.integer):
        return Series.objects.filter(pk=int(selector))
    return select_series(parse_selector(selector)).order_by("key")


def find_series(selector: str | None = None) -> pd.DataFrame:
    """A table of series (all, or those a selector matches): key, metric, labels, unit, span."""
    from ingestion.models import Series

    queryset = select(selector) if selector else Series.objects.order_by("key")
    rows = queryset.values("id", "key", "metric", "labels", "unit", "kind", "capacity", "first_ts", "last_ts")
    return pd.DataFrame(list(rows), columns=["id", "key", "metric", "labels", "unit", "kind", "capacity",
                                             "first_ts", "last_ts"]).set_index("id")  # fmt: skip


def series(
    selector: str | int, start=None, end=None, step: str | None = None, agg: str = "mean"
) -> pd.DataFrame:
    """Points of every matching series, one column per series key.

    Raw points when `step` is None; otherwise one `agg` per bucket of `step`
    (`"5m"`, `"1h"`), computed in PostgreSQL as the API's `?step=` does.
    """
    from core.durations import parse_duration
    from ingestion.queries import AGGREGATES, downsample, read_series_frame

    start_dt, end_dt = time_range(start, end)
    chosen = list(select(selector))
    if not step:
        columns = {s.key: read_series_frame(s.pk, start_dt, end_dt) for s in chosen}
        return pd.DataFrame(columns).rename_axis("ts")
    if agg not in AGGREGATES:
        raise ValueError(f"agg must be one of {sorted(AGGREGATES)}")
    rows = downsample([s.pk for s in chosen], start_dt, end_dt, parse_duration(step), agg)
    keys = {s.pk: s.key for s in chosen}
    frame = pd.DataFrame(rows, columns=["series_id", "ts", "value"])
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    frame["key"] = frame["series_id"].map(keys)
    wide = frame.pivot(index="ts", columns="key", values="value")
    return wide.reindex(columns=[keys[s.pk] for s in chosen])


def one_series(selector: str | int, start=None, end=None, step: str | None = None) -> pd.Series:
    """The points of exactly one series as a float Series (the algorithms' input form)."""
    frame = series(selector, start, end, step)
    if frame.shape[1] != 1:
        raise ValueError(f"{selector!r} matches {frame.shape[1]} series; narrow it to one")
    return frame.iloc[:, 0].rename(frame.columns[0]).astype(np.float64)


def rolling(selector: str | int, start=None, end=None, window: int | str = "1h") -> pd.DataFrame:
    """Rolling mean, std, variance and causal z-score of one series (as `/series/<id>/rolling`)."""
    from analytics.queries import rolling_statistics

    start_dt, end_dt = time_range(start, end)
    return rolling_statistics(_one(selector).pk, start_dt, end_dt, window)


def anomalies(
    selector: str | int | None = None, start=None, end=None, min_score: float = 0.0
) -> pd.DataFrame:
    """Stored anomalous points: ts, series, score, value, expected, band, detector."""
    from analytics.models import Anomaly

    queryset = _in_range(Anomaly.objects.filter(score__gte=min_score), selector, "ts", start, end)
    rows = queryset.order_by("ts").values(
        "ts", "series__key", "score", "value", "expected", "lo", "hi", "direction", "detector__name", "kind"
    )
    return _frame(rows, {"series__key": "series", "detector__name": "detector"})


def events(selector: str | int | None = None, start=None, end=None, min_score: float = 0.0) -> pd.DataFrame:
    """Stored anomaly events (runs of anomalous points) overlapping the range."""
    from analytics.models import AnomalyEvent

    start_dt, end_dt = time_range(start or "now-30d", end)
    queryset = AnomalyEvent.objects.filter(peak_score__gte=min_score, end__gte=start_dt, start__lt=end_dt)
    if selector is not None:
        queryset = queryset.filter(series__in=select(selector))
    rows = queryset.order_by("start").values(
        "start",
        "end",
        "series__key",
        "peak_score",
        "peak_ts",
        "n_points",
        "direction",
        "kind",
        "detector__name",
    )
    return _frame(rows, {"series__key": "series", "detector__name": "detector"})


def forecast(selector: str | int) -> pd.DataFrame:
    """The stored forecast of one series: mean, lo-<level>, hi-<level> on future times
    (empty when the forecast job has not run for it)."""
    from analytics.models import Forecast

    stored = Forecast.objects.filter(series=_one(selector)).first()
    if stored is None or not stored.points:
        return pd.DataFrame(columns=["mean"])
    frame = pd.DataFrame(stored.points)
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    return frame.set_index("ts").astype(np.float64)


def forecasts() -> pd.DataFrame:
    """Every stored forecast's summary: model, skill against seasonal naive, capacity crossing."""
    from analytics.models import Forecast

    rows = Forecast.objects.order_by("series__key").values(
        "series__key", "model", "created_at", "threshold", "threshold_at", "threshold_earliest",
        "threshold_latest", "skill",
    )  # fmt: skip
    frame = _frame(rows, {"series__key": "series"})
    if not frame.empty:
        frame["ratio_to_seasonal_naive"] = [s.get("ratio_to_seasonal_naive") for s in frame.pop("skill")]
    return frame


def alerts(state: str | None = None) -> pd.DataFrame:
    """Alerts, newest first; `state="open"` for pending, firing and recovering ones."""
    from alerts.choices import OPEN_STATES
    from alerts.models import Alert

    queryset = Alert.objects.all()
    if state == "open":
        queryset = queryset.filter(state__in=OPEN_STATES)
    elif state:
        queryset = queryset.filter(state=state)
    rows = queryset.order_by("-started_at").values(
        "id", "rule__name", "rule__severity", "series__key", "state", "started_at", "fired_at", "resolved_at",
        "value", "score", "acknowledged_at", "acknowledged_by",
    )  # fmt: skip
    return _frame(rows, {"rule__name": "rule", "rule__severity": "severity", "series__key": "series"})


def _one(selector: str | int):
    chosen = list(select(selector)[:2])
    if len(chosen) != 1:
        raise ValueError(f"{selector!r} matches {'no' if not chosen else 'several'} series; give exactly one")
    return chosen[0]


def _in_range(queryset, selector, field: str, start, end):
    start_dt, end_dt = time_range(start or "now-30d", end)
    queryset = queryset.filter(**{f"{field}__gte": start_dt, f"{field}__lt": end_dt})
    return queryset.filter(series__in=select(selector)) if selector is not None else queryset


def _frame(rows, renames: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(list(rows)).rename(columns=renames)


# -- plotting -----------------------------------------------------------------


def plot_series(
    y: pd.Series,
    rolling: pd.DataFrame | None = None,
    k: float = 3.0,
    anomalies: pd.DataFrame | None = None,
    forecast: pd.DataFrame | None = None,
    threshold: float | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Plot a series with its rolling mean ± k·std band, anomalies marked and a forecast band.

    `rolling` is the frame of :func:`rolling` (columns mean, std), `anomalies`
    a frame with `ts` and `value` columns (:func:`anomalies`), `forecast` the
    forecast contract (mean, lo-<level>, hi-<level>).
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(11, 3.6))
    ax.plot(y.index, y.to_numpy(), lw=0.9, color="#2d6cdf", label=str(y.name or "value"))
    if rolling is not None and not rolling.empty:
        _plot_band(ax, rolling, k)
    if anomalies is not None and not anomalies.empty:
        ax.scatter(anomalies["ts"], anomalies["value"], s=22, color="#c0392b", zorder=3, label="anomalies")
    if forecast is not None and not forecast.empty:
        plot_forecast(forecast, ax=ax)
    if threshold is not None:
        ax.axhline(threshold, color="#c0392b", ls=":", lw=1, label=f"threshold {threshold:g}")
    ax.set_title(title or str(y.name or ""))
    ax.legend(loc="upper left", fontsize="small")
    ax.grid(alpha=0.3)
    return ax


def _plot_band(ax: Axes, rolling: pd.DataFrame, k: float) -> None:
    mean, std = rolling["mean"], rolling["std"]
    ax.fill_between(rolling.index, mean - k * std, mean + k * std, color="#1e8449", alpha=0.15,
                    label=f"rolling mean ± {k:g}·std")  # fmt: skip
    ax.plot(rolling.index, mean, color="#1e8449", lw=0.8, ls="--")


def plot_forecast(forecast: pd.DataFrame, history: pd.Series | None = None, ax: Axes | None = None) -> Axes:
    """Plot a forecast frame's mean and intervals (widest palest), after `history` if given."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(11, 3.6))
    if history is not None:
        ax.plot(
            history.index, history.to_numpy(), lw=0.9, color="#2d6cdf", label=str(history.name or "history")
        )
    levels = sorted((float(c[3:]) for c in forecast.columns if c.startswith("lo-")), reverse=True)
    for i, level in enumerate(levels):
        ax.fill_between(forecast.index, forecast[f"lo-{level:g}"], forecast[f"hi-{level:g}"],
                        color="#d68910", alpha=0.15 + 0.12 * i, label=f"{level:g} % interval")  # fmt: skip
    ax.plot(forecast.index, forecast["mean"], color="#b9770e", ls="--", lw=1.2, label="forecast")
    ax.legend(loc="upper left", fontsize="small")
    ax.grid(alpha=0.3)
    return ax
