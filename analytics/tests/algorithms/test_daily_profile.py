"""The daily profile: the band of the day in time, whatever the sampling step."""

import pickle

import numpy as np
import pandas as pd
import pytest

from analytics.algorithms.daily_profile import DailyProfile
from analytics.algorithms.detector import StreamingDetector

DAY_NS = 86_400 * 10**9


def daily_cycle(step_seconds: float, n_days: float, noise: float = 0.5, seed: int = 0):
    """A day-long sine between 10 and 30 (peak at 12:00 UTC), Gaussian noise; ts in int64 ns."""
    n = int(n_days * 86_400 / step_seconds)
    ts = np.datetime64("2024-01-01T00:00", "ns").astype(np.int64) + (
        np.arange(n) * step_seconds * 1e9
    ).astype(np.int64)
    phase = (ts % DAY_NS) / DAY_NS
    values = 20 - 10 * np.cos(2 * np.pi * phase) + noise * np.random.default_rng(seed).normal(size=n)
    return ts, values


def at(ts: np.ndarray, day: int, hour: float) -> int:
    """Index of the point at ``hour`` of day ``day`` (from the first)."""
    return int(np.searchsorted(ts, ts[0] + day * DAY_NS + int(hour * 3600e9)))


@pytest.mark.parametrize("step_seconds", [10, 60, 3600])
def test_a_value_seen_at_this_time_of_day_on_earlier_days_is_inside_and_a_spike_is_not(step_seconds):
    ts, values = daily_cycle(step_seconds, 6)
    morning, night = at(ts, 5, 9), at(ts, 5, 0.5)
    values[night] = 25.0  # the morning's level at night
    inside = DailyProfile().update(ts, values)
    assert inside[morning] and not inside[night]


def test_there_is_no_band_before_min_days_earlier_days_have_data():
    ts, values = daily_cycle(60, 5)
    inside = DailyProfile(min_days=3).update(ts, values)
    # Three days back from day 2 23:00 is an hour before the first point: within the jitter.
    assert not inside[: at(ts, 2, 23)].any()
    assert inside[at(ts, 3, 0) :].mean() > 0.9


def test_an_anomaly_on_one_earlier_day_does_not_widen_the_band():
    ts, values = daily_cycle(60, 8)
    values[at(ts, 2, 3) : at(ts, 2, 4)] = 40.0  # an hour far above on day 2, at 03:00
    inside = DailyProfile().update(ts, values)
    assert inside[at(ts, 7, 3) + 10]  # the usual level at 03:10 on day 7 is ordinary, 40 is still new
    probe = values.copy()
    probe[at(ts, 7, 3) + 10] = 40.0
    assert not DailyProfile().update(ts, probe)[at(ts, 7, 3) + 10]


def test_nan_is_never_inside_and_is_not_learned():
    ts, values = daily_cycle(60, 6)
    gap = at(ts, 4, 12)
    values[gap] = np.nan
    with_nan = DailyProfile().update(ts, values)
    assert not with_nan[gap]
    without_point = DailyProfile().update(np.delete(ts, gap), np.delete(values, gap))
    np.testing.assert_array_equal(np.delete(with_nan, gap), without_point)


@pytest.mark.parametrize("chunk", [1, 97, 1440, 5000])
def test_the_bands_do_not_depend_on_how_the_points_are_split_into_calls(chunk):
    ts, values = daily_cycle(60, 9)
    whole = DailyProfile().update(ts, values)
    profile = DailyProfile()
    parts = [profile.update(ts[i : i + chunk], values[i : i + chunk]) for i in range(0, ts.size, chunk)]
    np.testing.assert_array_equal(np.concatenate(parts), whole)


def test_it_holds_a_week_of_bins_whatever_the_step_and_the_length():
    ts, values = daily_cycle(10, 16, seed=2)
    profile = DailyProfile(history_seconds=7 * 86_400, bin_seconds=600, jitter_seconds=3600)
    for i in range(0, ts.size, 10_000):
        profile.update(ts[i : i + 10_000], values[i : i + 10_000])
    week_and_jitter = 7 * 144 + 6
    assert profile.lo_.size <= week_and_jitter + 10_000 * 10 // 600 + 1
    assert len(pickle.dumps(profile)) < 40_000


def weekly_load(n_days: int = 6, seed: int = 3):
    """1-minute traffic as the demo's: a daily cycle peaking at 15:00, weekends at 55 %.

    Starts on a Wednesday (Monday is day 5); noise is 8 % of the level, so
    weekdays are noisier as well as higher.
    """
    step_seconds = 60
    index = pd.date_range(
        "2024-01-03", periods=int(n_days * 86_400 / step_seconds), freq=f"{step_seconds}s", tz="UTC"
    )
    ts = index.as_unit("ns").asi8
    phase = (ts % DAY_NS) / DAY_NS
    load = (0.5 - 0.5 * np.cos(2 * np.pi * (phase - 0.125))) * np.where(index.weekday >= 5, 0.55, 1.0)
    noise = np.random.default_rng(seed).normal(0, 0.08, ts.size)
    return ts, 2.0e6 + 9.0e6 * load * (1 + noise)


def test_a_weekday_after_the_weekend_is_ordinary_once_a_weekday_is_in_the_profile():
    ts, values = weekly_load()
    monday = slice(at(ts, 5, 0), None)
    with_profile = StreamingDetector().update(ts, values)
    without = StreamingDetector(profile_seconds=None).update(ts, values)
    # The models' 2,000 points (33 hours) have seen only the weekend; the
    # profile's median day is one of the three weekdays before it.
    assert without.alarm[monday].sum() >= 2
    assert not with_profile.alarm[monday].any()


def test_a_spike_on_the_weekday_is_still_an_event():
    ts, values = weekly_load()
    spike = at(ts, 5, 3)  # Monday 03:00, a midday level at night
    values[spike : spike + 3] = 9.0e6
    result = StreamingDetector().update(ts, values)
    assert result.alarm[spike : spike + 3].any()


def test_a_detector_pickled_before_the_profile_builds_it_from_the_points_it_holds():
    ts, values = weekly_load()
    detector = StreamingDetector()
    detector.update(ts[:5000], values[:5000])
    for name in ("profile_seconds", "profile_"):
        delattr(detector, name)
    detector.likelihood_window, detector.likelihood_ = None, None  # as that default was
    restored = pickle.loads(pickle.dumps(detector))
    rest = restored.update(ts[5000:], values[5000:])
    assert restored.profile_seconds == 7 * 86_400
    assert restored.likelihood_ is not None  # off by default before the profile, on now
    held = restored.profile_.lo_[~np.isnan(restored.profile_.lo_)]
    assert held.size and np.all((rest.score >= 0) & (rest.score <= 1))
