"""Forecasts that respect what a series is: its bounds, and the trend its history supports."""

import numpy as np
import pandas as pd

from analytics.algorithms.capacity import time_to_threshold
from analytics.algorithms.regression import Candidate, RegressionForecaster, rank_candidates

from .helpers import LEAK_DAYS, LEAK_START_DAY, hours_until, leaking_memory_percent

HOURS_AHEAD = 7 * 24


def leaking_memory(seed: int = 0) -> pd.Series:
    hours = np.arange((LEAK_START_DAY + LEAK_DAYS) * 24)
    values = leaking_memory_percent(hours) + np.random.default_rng(seed).normal(0, 0.3, hours.size)
    return pd.Series(values, index=pd.date_range("2024-01-01", periods=hours.size, freq="1h", tz="UTC"))


def test_a_leaking_percentage_stays_at_most_100_and_fills_when_its_straight_line_does():
    for seed in range(3):
        y = leaking_memory(seed)
        frame = RegressionForecaster(horizon=HOURS_AHEAD, lower=0, upper=100).fit(y).predict(HOURS_AHEAD)
        assert frame.to_numpy().max() <= 100 and frame.to_numpy().min() >= 0
        crossing = time_to_threshold(frame, 100)
        # The leak's own line, with its daily cycle, continued from the last point.
        line = y.index[-1] + pd.Timedelta(hours=hours_until(leaking_memory_percent, len(y) - 1, 100))
        error = abs(crossing.expected - line)
        assert error <= pd.Timedelta(hours=4), (seed, crossing.expected, error)
        assert crossing.earliest <= crossing.expected <= (crossing.latest or crossing.expected)


def test_a_straight_line_beats_the_log_scale_on_a_linear_leak():
    model = RegressionForecaster(horizon=HOURS_AHEAD).fit(leaking_memory())
    assert model.candidates_[0].form == "line"
    assert all(not spec.log for spec, _ in model.models_)


def test_the_band_is_clipped_after_it_is_built_around_the_unclipped_mean():
    hours = np.arange(10 * 24)
    y = pd.Series(
        60 + 2.0 * hours / 24, index=pd.date_range("2024-01-01", periods=hours.size, freq="1h", tz="UTC")
    )
    frame = RegressionForecaster(upper=100).fit(y).predict(30 * 24, level=[80])
    # A band around a mean held at 100 would stay below 100 forever; this one gets there.
    assert time_to_threshold(frame, 100).latest is not None


def test_the_band_stays_above_a_lower_bound_of_zero():
    hours = np.arange(10 * 24)
    counts = np.random.default_rng(4).poisson(1.0, hours.size).astype(float)  # a quiet queue, often empty
    y = pd.Series(counts, index=pd.date_range("2024-01-01", periods=hours.size, freq="1h", tz="UTC"))
    unbounded = RegressionForecaster().fit(y).predict(48, level=[95])
    bounded = RegressionForecaster(lower=0).fit(y).predict(48, level=[95])
    assert unbounded["lo-95"].min() < 0  # what the option is for
    assert bounded.to_numpy().min() >= 0
    assert (bounded["lo-95"] <= bounded["mean"]).all() and (bounded["mean"] <= bounded["hi-95"]).all()


def test_the_simpler_candidate_wins_a_tie_and_only_a_tie():
    lags = Candidate((24,), (1, 2), log=True)
    line = Candidate((24,), (), log=False, form="line", window=48)
    naive = Candidate((24,), (), log=False, form="seasonal_naive")
    assert rank_candidates({lags: 1.00, line: 1.01, naive: 1.5}) == [line, lags, naive]
    assert rank_candidates({lags: 1.00, line: 1.05, naive: 1.5}) == [lags, line, naive]
    assert rank_candidates({lags: 1.00, line: 1.01, naive: 1.015}) == [naive, lags, line]
