"""Forecast one stored series: downsample, fit, predict, check against
seasonal naive, and say when it reaches its capacity.

Used by the forecast job (stored forecasts), the API (forecasts on demand)
and reports, so all three say the same thing about a series.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.algorithms.capacity import ThresholdCrossing, time_to_threshold
from analytics.algorithms.regression import RegressionForecaster
from analytics.algorithms.seasonal_naive import SeasonalNaive
from core.time_range import floor_time
from ingestion.choices import SeriesKind
from ingestion.queries import downsample

DEFAULT_LEVELS = (80, 95)
DEFAULT_STEP = dt.timedelta(hours=1)
DEFAULT_HISTORY = dt.timedelta(days=28)
DEFAULT_HORIZON = dt.timedelta(days=7)
MIN_POINTS = 48  # two days of hourly points: less cannot show a daily cycle
# Units (as guessed from the metric's name, or as set) whose values lie in a range.
PERCENT_UNITS = {"%", "percent"}
RATIO_UNITS = {"ratio"}
# No negative values; "seconds" is not here: a clock offset in seconds can be negative.
# Rates (`bytes/s`, `packets/s`: a `_per_second` metric's unit) are not negative either.
NON_NEGATIVE_UNITS = {"bytes"}


class NotEnoughData(ValueError):
    """The series has too little recent history to forecast."""


@dataclass
class SeriesForecast:
    frame: pd.DataFrame  # mean, lo-<level>, hi-<level> on future timestamps
    model: str
    step: dt.timedelta
    trained_from: dt.datetime
    trained_to: dt.datetime
    levels: tuple[float, ...]
    skill: dict  # the model's and seasonal naive's error on held-out recent history
    threshold: float | None
    crossing: ThresholdCrossing | None
    method: str = ""  # the chosen model(s) in words, for reports: "seasonal naive (the last day repeated)"


def forecast_series(
    series,
    now: dt.datetime,
    horizon: dt.timedelta = DEFAULT_HORIZON,
    step: dt.timedelta = DEFAULT_STEP,
    history: dt.timedelta = DEFAULT_HISTORY,
    levels: tuple[float, ...] = DEFAULT_LEVELS,
    threshold: float | None = None,
) -> SeriesForecast:
    """Forecast `series` from the `history` before `now`, `horizon` ahead.

    `threshold` defaults to the series' capacity; when there is one, the
    result says when the forecast (and its widest interval) reaches it.
    """
    # Whole buckets on step boundaries: the last, still-filling bucket would
    # read as a sudden drop in a sum or a noisy mean.
    end = floor_time(now, step)
    y = history_frame(series.pk, end - history, end, step)
    if y.notna().sum() < MIN_POINTS:
        raise NotEnoughData(
            f"{series.key}: fewer than {MIN_POINTS} points at step {step} in the last {history}"
        )
    h = max(1, int(horizon / step))
    bounds = series_bounds(series)
    forecaster = make_forecaster(h, bounds).fit(y)
    frame = forecaster.predict(h, level=list(levels))
    threshold = threshold if threshold is not None else series.capacity
    crossing = time_to_threshold(frame, threshold) if threshold is not None else None
    return SeriesForecast(
        frame=frame,
        model="RegressionForecaster",
        step=step,
        trained_from=y.index[0].to_pydatetime(),
        trained_to=y.index[-1].to_pydatetime(),
        levels=tuple(levels),
        skill=backtest_skill(y, min(h, len(y) // 4), season_length=_season_length(step), bounds=bounds),
        threshold=threshold,
        crossing=crossing,
        method=describe_method(forecaster),
    )


def describe_method(forecaster: RegressionForecaster) -> str:
    """The candidates a fitted forecaster averages, in words: a report must say
    "seasonal naive" when that is what forecasts, not the class that chose it."""
    words = []
    for candidate, _ in forecaster.models_:
        if candidate.form == "seasonal_naive":
            words.append("seasonal naive (the last day repeated)")
        elif candidate.form == "line":
            words.append(
                f"a straight line through the last "
                f"{candidate.window / candidate.periods[0]:g} days and the daily cycle"
            )
        else:
            words.append("a regression on recent values" + (" (log scale)" if candidate.log else ""))
    return " averaged with ".join(words)


def series_bounds(series) -> tuple[float | None, float | None]:
    """(lower, upper) bounds of the values `series` can take, from its unit, kind and capacity.

    A percentage lies in 0–100, a ratio in 0–1, bytes, rates and counters are
    never negative, and nothing exceeds the series' capacity (a disk's size).
    """
    unit = (series.unit or "").strip().lower()
    lower = upper = None
    if unit in PERCENT_UNITS:
        lower, upper = 0.0, 100.0
    elif unit in RATIO_UNITS:
        lower, upper = 0.0, 1.0
    elif unit in NON_NEGATIVE_UNITS or unit.endswith("/s") or series.kind == SeriesKind.COUNTER:
        lower = 0.0
    if series.capacity is not None:
        upper = series.capacity if upper is None else min(upper, series.capacity)
    return lower, upper


def make_forecaster(h: int, bounds: tuple[float | None, float | None]) -> RegressionForecaster:
    """The forecaster for `h` steps: its backtest judges the trend at the horizon asked."""
    lower, upper = bounds
    return RegressionForecaster(horizon=h, lower=lower, upper=upper)


def history_frame(series_id: int, start: dt.datetime, end: dt.datetime, step: dt.timedelta) -> pd.Series:
    """Mean per `step` bucket in [start, end), on a regular grid (gaps NaN)."""
    rows = downsample([series_id], start, end, step, "mean")
    if not rows:
        return pd.Series(dtype=np.float64)
    index = pd.DatetimeIndex([r.ts for r in rows]).tz_convert("UTC")
    y = pd.Series([r.value for r in rows], index=index, dtype=np.float64)
    grid = pd.date_range(index[0], index[-1], freq=pd.Timedelta(step))
    return y.reindex(grid)


def backtest_skill(
    y: pd.Series,
    holdout: int,
    season_length: int,
    bounds: tuple[float | None, float | None] = (None, None),
) -> dict:
    """Mean absolute error of the model and of seasonal naive on the last
    `holdout` points, both fitted without them: an honest check that the
    model is worth its complexity (ratio < 1 means it beats the baseline)."""
    if holdout < 1 or len(y) - holdout < max(MIN_POINTS, 2 * season_length):
        return {}
    train, test = y.iloc[:-holdout], y.iloc[-holdout:].to_numpy()
    model = make_forecaster(holdout, bounds).fit(train).predict(holdout, level=None)["mean"].to_numpy()
    naive = (
        SeasonalNaive(season_length=season_length).fit(train).predict(holdout, level=None)["mean"].to_numpy()
    )
    known = ~np.isnan(test)
    model_mae = float(np.mean(np.abs(model - test)[known]))
    naive_mae = float(np.mean(np.abs(naive - test)[known]))
    return {
        "holdout_points": int(holdout),
        "mae": model_mae,
        "seasonal_naive_mae": naive_mae,
        "ratio_to_seasonal_naive": model_mae / naive_mae if naive_mae > 0 else None,
    }


def _season_length(step: dt.timedelta) -> int:
    return max(1, int(dt.timedelta(days=1) / step))
