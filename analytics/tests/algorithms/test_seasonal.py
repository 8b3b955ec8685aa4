"""The seasonal-context scorer and its period detection."""

import numpy as np
import pandas as pd

from analytics.algorithms.kmeans import KMeansWindowScorer
from analytics.algorithms.seasonal import SeasonalContextScorer, detect_period

from .helpers import utc_index


def daily_pattern(n: int = 288 * 8, seed: int = 0) -> np.ndarray:
    """Five-minute points of a daily sine with a little noise."""
    rng = np.random.default_rng(seed)
    return 50 + 10 * np.sin(2 * np.pi * np.arange(n) / 288) + 0.5 * rng.normal(size=n)


def test_it_finds_the_period_of_a_repeating_pattern():
    values = np.tile([0.0, 1.0, 5.0, 1.0, 0.0, -3.0], 20)
    assert detect_period(values, max_period=30) == 6
    assert detect_period(daily_pattern(), max_period=500) == 288


def test_noise_a_trend_and_a_constant_have_no_period():
    rng = np.random.default_rng(1)
    assert detect_period(rng.normal(size=2000), max_period=500) == 0
    assert detect_period(np.arange(2000.0), max_period=500) == 0
    assert detect_period(np.full(2000, 3.0), max_period=500) == 0


def test_a_period_needs_enough_cycles_in_the_data():
    values = daily_pattern(n=288 * 2)
    assert detect_period(values, max_period=500, min_cycles=3) == 0


def test_a_series_without_a_period_scores_zero():
    values = np.random.default_rng(2).normal(size=1500)
    scorer = SeasonalContextScorer().fit_values(values[:1000])
    assert scorer.period_ == 0
    assert np.all(scorer.score_values(values, 500) == 0)


def test_a_day_that_stays_flat_is_found_where_change_windows_see_nothing_unusual():
    values = daily_pattern()
    flat = slice(288 * 6 + 100, 288 * 6 + 200)  # the rising half of day 7 stays at its level
    values[flat] = values[flat.start]
    y = pd.Series(values, index=utc_index(values.size, "5min"))
    train = y.iloc[: 288 * 5]
    seasonal = SeasonalContextScorer().fit(train).score(y).to_numpy()
    ordinary = seasonal[288 * 5 : flat.start].max()
    assert seasonal[flat].max() > max(0.5, ordinary)
    changes = KMeansWindowScorer(window=12, smooth=6).fit(train).score(y).to_numpy()
    assert changes[flat].max() < 0.5


def test_the_first_points_after_too_short_a_history_score_zero_not_nan():
    values = daily_pattern()
    scorer = SeasonalContextScorer().fit_values(values[: 288 * 5])
    scores = scorer.score_values(values[:100], 100)
    assert np.all(scores == 0)
