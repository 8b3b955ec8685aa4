"""The seasonal-context scorer and its period detection."""

import numpy as np
import pandas as pd

from analytics.algorithms.kmeans import KMeansWindowScorer
from analytics.algorithms.seasonal import SeasonalContextScorer, calendar_period, detect_period

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


def nightly_job(n_days: int = 8, seed: int = 3) -> tuple[np.ndarray, list[int]]:
    """Five-minute points, flat at 1 with a one-point spike to 20 near 03:30 each day (+/- 30 min)."""
    rng = np.random.default_rng(seed)
    values = 1 + 0.05 * rng.normal(size=288 * n_days)
    spikes = [288 * day + 42 + int(rng.integers(-6, 7)) for day in range(n_days)]
    values[spikes] = 20.0
    return values, spikes


def test_with_no_jitter_the_band_is_the_median_of_the_same_phase():
    values = np.tile([0.0, 1.0, 5.0, 1.0, 0.0, -3.0], 4)
    values[-2] = 2.0  # 2 where the phase held 0 on both earlier cycles
    scorer = SeasonalContextScorer(max_period=6, jitter=0, window=1).fit_values(values[:18])
    assert scorer.period_ == 6 and scorer.jitter_points_ == 0
    np.testing.assert_array_equal(scorer._residuals(values, 3), [0.0, 2.0, 0.0])


def test_a_recurring_spike_that_comes_a_little_early_or_late_is_inside_the_band():
    values, spikes = nightly_job()
    scorer = SeasonalContextScorer(daily=True).fit_values(values[: 288 * 5], step_ns=300e9)
    assert scorer.period_ == 288 and scorer.jitter_points_ == 12
    assert scorer.expected_mask(values, 288 * 3)[np.subtract(spikes[-3:], 288 * 5)].all()
    strict = SeasonalContextScorer(daily=True, jitter=0).fit_values(values[: 288 * 5], step_ns=300e9)
    assert not strict.expected_mask(values, 288 * 3)[np.subtract(spikes[-3:], 288 * 5)].any()


def test_a_spike_at_a_new_time_of_day_is_outside_the_band():
    values, _ = nightly_job()
    values[288 * 7 + 150] = 20.0
    scorer = SeasonalContextScorer(daily=True).fit_values(values[: 288 * 5], step_ns=300e9)
    assert not scorer.expected_mask(values, 288)[150]


def test_the_calendar_period_needs_a_known_step_and_three_days_of_data():
    assert calendar_period(300e9, 288 * 3, max_period=500) == 288
    assert calendar_period(300e9, 288 * 3 - 1, max_period=500) == 0
    assert calendar_period(None, 10_000, max_period=500) == 0
    assert calendar_period(10e9, 10**6, max_period=500) == 0  # 8640 points a day: too long


def irregular_nightly_job() -> tuple[np.ndarray, list[int]]:
    """Like nightly_job, but never at the same minute twice: no autocorrelation at a day's lag."""
    values = 1 + 0.05 * np.random.default_rng(3).normal(size=288 * 8)
    spikes = [288 * day + 42 + offset for day, offset in enumerate([0, 5, -4, 8, -7, 3, -2, 6])]
    values[spikes] = 20.0
    return values, spikes


def test_the_gate_falls_back_on_the_day_where_the_autocorrelation_finds_no_period():
    values, spikes = irregular_nightly_job()
    scorer = SeasonalContextScorer().fit_values(values[: 288 * 5], step_ns=300e9)
    assert scorer.period_ == 0 and scorer.gate_periods_ == [288]
    assert np.all(scorer.score_values(values, 288 * 3) == 0)
    assert scorer.expected_mask(values, 288 * 3)[np.subtract(spikes[-3:], 288 * 5)].all()
    no_gate = SeasonalContextScorer(daily_gate=False).fit_values(values[: 288 * 5], step_ns=300e9)
    assert no_gate.gate_periods_ == [] and not no_gate.expected_mask(values, 288 * 3).any()


def test_a_daily_job_a_little_taller_than_before_is_expected_and_a_much_taller_one_is_not():
    values, spikes = irregular_nightly_job()
    last = spikes[-1] - 288 * 7
    taller, much_taller = values.copy(), values.copy()
    taller[spikes[-1]] = 23.0  # the band's top is 20, its width 19: 23 is within 0.2 of it
    much_taller[spikes[-1]] = 40.0
    fit = values[: 288 * 5]
    tolerant = SeasonalContextScorer().fit_values(fit, step_ns=300e9)
    assert tolerant.expected_mask(taller, 288)[last]
    assert not tolerant.expected_mask(much_taller, 288)[last]
    strict = SeasonalContextScorer(gate_tolerance=0).fit_values(fit, step_ns=300e9)
    assert not strict.expected_mask(taller, 288)[last]


def test_a_scorer_fitted_before_the_daily_gate_existed_still_masks_by_its_own_period():
    values, spikes = nightly_job()
    scorer = SeasonalContextScorer(daily=True).fit_values(values[: 288 * 5], step_ns=300e9)
    del scorer.gate_periods_, scorer.gate_tolerance, scorer.daily_gate
    assert scorer.expected_mask(values, 288 * 3)[np.subtract(spikes[-3:], 288 * 5)].all()


def test_the_gate_knows_a_nightly_job_on_a_series_with_a_shorter_cycle_of_its_own():
    values, spikes = irregular_nightly_job()
    values += 2 * np.sin(2 * np.pi * np.arange(values.size) / 6)  # a 30-minute cycle
    fit = values[: 288 * 5]
    scorer = SeasonalContextScorer().fit_values(fit, step_ns=300e9)
    assert scorer.gate_periods_ == [6, 288]
    jobs = np.subtract(spikes[-3:], 288 * 5)
    assert scorer.expected_mask(values, 288 * 3)[jobs].all()
    own_cycle_only = SeasonalContextScorer(daily_gate=False).fit_values(fit, step_ns=300e9)
    assert own_cycle_only.gate_periods_ == [6]
    assert not own_cycle_only.expected_mask(values, 288 * 3)[jobs].any()
