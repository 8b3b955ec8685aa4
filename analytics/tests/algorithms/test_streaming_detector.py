"""The streaming detector: the object live jobs pickle and backtests feed."""

import pickle

import numpy as np
import pandas as pd
import pytest

from analytics.algorithms.detector import StreamingDetector, detect
from analytics.algorithms.isolation import IsolationWindowScorer
from analytics.algorithms.kmeans import KMeansWindowScorer

from .helpers import series_with_anomalies


def arrays():
    y, positions = series_with_anomalies()
    return y.index.asi8, y.to_numpy(), positions


def small_detector(**kwargs):
    return StreamingDetector(min_train=400, retrain_every=150, train_size=800, **kwargs)


@pytest.mark.parametrize("chunk", [1, 7, 400, 3000])
def test_the_scores_do_not_depend_on_how_the_points_are_split_into_calls(chunk):
    ts, values, _ = arrays()
    whole = small_detector().update(ts, values)
    detector = small_detector()
    parts = [detector.update(ts[i : i + chunk], values[i : i + chunk]) for i in range(0, ts.size, chunk)]
    for name in ("score", "expected", "lo", "hi", "direction", "alarm"):
        np.testing.assert_array_equal(np.concatenate([getattr(p, name) for p in parts]), getattr(whole, name))


def test_a_pickled_and_reloaded_detector_continues_as_if_never_stopped():
    ts, values, _ = arrays()
    whole = small_detector().update(ts, values).score
    detector = small_detector()
    first = detector.update(ts[:1234], values[:1234]).score
    restored = pickle.loads(pickle.dumps(detector))
    rest = restored.update(ts[1234:], values[1234:]).score
    np.testing.assert_array_equal(np.concatenate([first, rest]), whole)


def test_past_scores_do_not_change_when_future_points_arrive():
    ts, values, _ = arrays()
    np.testing.assert_array_equal(
        small_detector().update(ts[:1800], values[:1800]).score,
        small_detector().update(ts, values).score[:1800],
    )


def test_it_raises_an_event_at_each_known_anomaly_and_says_which_way():
    ts, values, positions = arrays()
    detector = small_detector(refractory=100)
    result = detector.update(ts, values)
    assert np.all((result.score >= 0) & (result.score <= 1))
    for position, direction in zip(positions, [1, -1, 1], strict=True):
        # Even inside the refractory period of an earlier event the (damped)
        # score of an anomaly stays at or above the alarm level.
        assert result.score[position] >= detector.alarm_level
        assert result.direction[position] == direction
        assert not (result.lo[position] <= values[position] <= result.hi[position])
    assert result.alarm[positions[1]] and result.alarm[positions[2]]
    assert result.alarm[450:1450].sum() <= 2


def test_scores_are_zero_before_the_first_model_and_nan_where_values_are_nan():
    ts, values, _ = arrays()
    values = values.copy()
    values[1100] = np.nan
    result = small_detector().update(ts, values)
    assert np.all(result.score[:400] == 0) and np.isnan(result.expected[:400]).all()
    assert np.isnan(result.score[1100]) and np.isfinite(result.score[1101])


def test_it_rejects_points_older_than_those_already_fed():
    ts, values, _ = arrays()
    detector = small_detector()
    detector.update(ts[:10], values[:10])
    with pytest.raises(ValueError):
        detector.update(ts[5:15], values[5:15])


def test_other_scorers_can_be_plugged_in():
    ts, values, _ = arrays()
    detector = small_detector(
        scorers=[KMeansWindowScorer(n_clusters=3), IsolationWindowScorer(n_estimators=10)]
    )
    result = detector.update(ts, values)
    assert np.all((result.score >= 0) & (result.score <= 1))
    assert np.isnan(result.expected).all()


def test_detect_runs_a_fresh_detector_over_a_series_and_keeps_its_index():
    y, _ = series_with_anomalies()
    detector = small_detector()
    frame = detect(y, detector)
    assert frame.index.equals(y.index)
    assert not hasattr(detector, "n_seen_")
    pd.testing.assert_frame_equal(frame, detect(y, detector))


def nightly_job_arrays(n_days: int = 8):
    """A 5-minute series with a job near 03:30 every night, +/- 30 minutes, 18 to 22 high."""
    rng = np.random.default_rng(5)
    values = 1 + 0.05 * rng.normal(size=288 * n_days)
    spikes = [288 * day + 42 + int(rng.integers(-6, 7)) for day in range(n_days)]
    values[spikes] = rng.uniform(18, 22, n_days)
    # as_unit: pandas 3 builds microsecond indexes, the detector takes nanoseconds.
    ts = pd.date_range("2024-01-01", periods=values.size, freq="5min", tz="UTC").as_unit("ns").asi8
    return ts, values, spikes


def test_a_nightly_job_of_varying_time_and_height_stops_raising_alarms_once_days_are_known():
    ts, values, _ = nightly_job_arrays(n_days=10)
    after_three_days = slice(288 * 4, None)
    result = StreamingDetector().update(ts, values)
    assert not result.alarm[after_three_days].any()
    # Without the seasonal scorer and the daily profile nothing knows the day.
    ungated = StreamingDetector(scorers=StreamingDetector()._prototypes()[:3], profile_seconds=None)
    ungated = ungated.update(ts, values)
    assert ungated.alarm[after_three_days].any()


def test_the_seasonal_gate_only_ever_lowers_a_score():
    from analytics.algorithms.residual import ResidualScorer
    from analytics.algorithms.seasonal import SeasonalContextScorer

    ts, values, _ = nightly_job_arrays()
    scorers = [ResidualScorer(), SeasonalContextScorer(daily=True)]
    # The gate alone: the likelihood judges each detector's scores by their
    # own history, which the gate changes (lower scores, a lower usual level).
    options = {"scorers": scorers, "min_train": 288 * 4, "likelihood_window": None}
    gated = StreamingDetector(**options).update(ts, values).raw_score
    plain = StreamingDetector(**options, seasonal_gate=False).update(ts, values).raw_score
    assert np.all(gated <= plain + 1e-12)


def test_a_detector_pickled_before_timestamps_were_kept_still_updates():
    ts, values, _ = arrays()
    detector = small_detector()
    detector.update(ts[:1000], values[:1000])
    del detector.ts_buffer_
    restored = pickle.loads(pickle.dumps(detector))
    assert restored.update(ts[1000:], values[1000:]).score.size == ts.size - 1000


class FitRecorder(StreamingDetector):
    def _retrain(self):
        self.fits = [*getattr(self, "fits", []), self.n_seen_]
        super()._retrain()


@pytest.mark.parametrize("chunk", [1, 7, 500])
def test_at_ten_seconds_fits_are_spaced_by_time_and_chunking_still_does_not_matter(chunk):
    _, values, _ = arrays()
    ts = np.arange(values.size, dtype=np.int64) * 10_000_000_000  # 10 s apart
    settings = {"min_train": 400, "retrain_every": 150, "train_size": 800, "min_retrain_seconds": 3600}
    settings["warmup_seconds"] = 10_000  # ends at point 1000, after the first fit (400)
    whole = FitRecorder(**settings)
    result = whole.update(ts, values)
    detector = FitRecorder(**settings)
    parts = [detector.update(ts[i : i + chunk], values[i : i + chunk]) for i in range(0, ts.size, chunk)]

    # The first fit after 400 points, then one at the first point an hour
    # after the newest point of the last fit (359 points on), not every 150.
    assert whole.fits == list(range(400, values.size, 359))
    assert detector.fits == whole.fits
    np.testing.assert_array_equal(np.concatenate([p.score for p in parts]), result.score)
    np.testing.assert_array_equal(np.concatenate([p.learning for p in parts]), result.learning)
    assert result.learning[:1000].all() and not result.learning[1000:].any()


def test_a_detector_pickled_before_fits_were_timed_keeps_its_cadence_by_count():
    ts, values, _ = arrays()
    ts = np.arange(values.size, dtype=np.int64) * 10_000_000_000
    by_count = small_detector(min_retrain_seconds=0, warmup_seconds=0).update(ts, values).score
    detector = small_detector(min_retrain_seconds=0, warmup_seconds=0)  # as old detectors ran
    detector.update(ts[:1000], values[:1000])
    for name in ("last_fit_index_", "last_fit_ts_", "min_retrain_seconds"):
        delattr(detector, name)
    restored = pickle.loads(pickle.dumps(detector))
    np.testing.assert_array_equal(restored.update(ts[1000:], values[1000:]).score, by_count[1000:])


def minute_arrays(n_days: float = 2.0, spikes=(720, 1800)):
    """1-minute points with a daily cycle and spikes (by default at 12 h and 30 h)."""
    rng = np.random.default_rng(3)
    n = int(n_days * 1440)
    values = 50 + 10 * np.sin(2 * np.pi * np.arange(n) / 1440) + rng.normal(size=n)
    values[list(spikes)] += 40
    return np.arange(n, dtype=np.int64) * 60_000_000_000, values


def test_in_its_first_day_a_series_is_learning_scored_0_and_raises_no_event():
    ts, values = minute_arrays()
    detector = StreamingDetector()
    result = detector.update(ts, values)

    assert result.learning[:1440].all() and not result.learning[1440:].any()
    assert not detector.learning_
    assert np.all(result.score[:1440] == 0) and np.all(result.raw_score[:1440] == 0)
    assert not result.alarm[:1440].any()  # not even the spike at 12 h
    assert result.alarm[1800]


def test_the_models_keep_learning_during_the_warm_up():
    ts, values = minute_arrays()
    warm = StreamingDetector()
    cold = StreamingDetector(warmup_seconds=0)
    with_warmup, without = warm.update(ts, values), cold.update(ts, values)

    assert warm.n_fits_ == cold.n_fits_ > 2
    # The same fits give the same expected values and bands, from the first model on.
    for name in ("expected", "lo", "hi"):
        np.testing.assert_array_equal(getattr(with_warmup, name), getattr(without, name))
    # Without the warm-up, the spike at 12 h would have raised an event.
    assert without.alarm[720]


@pytest.mark.parametrize(
    ("step_seconds", "first_warm"),
    [
        (10, 8640),  # a day of 10-second points
        (60, 1440),  # a day of 1-minute points
        (3600, 300),  # hourly: the first fit, after min_train (300) points, comes after a day
    ],
)
def test_the_warm_up_is_a_day_in_time_and_at_least_the_points_of_the_first_fit(step_seconds, first_warm):
    n = first_warm + 50
    values = np.random.default_rng(0).normal(size=n)
    ts = np.arange(n, dtype=np.int64) * step_seconds * 1_000_000_000
    learning = StreamingDetector().update(ts, values).learning
    assert learning[:first_warm].all() and not learning[first_warm:].any()


def test_a_detector_pickled_before_the_warm_up_existed_goes_on_as_before():
    ts, values, _ = arrays()
    whole = small_detector(warmup_seconds=0).update(ts, values).score
    detector = small_detector(warmup_seconds=0)
    detector.update(ts[:1000], values[:1000])
    for name in ("warmup_seconds", "first_ts_", "n_fits_", "learning_"):
        delattr(detector, name)
    restored = pickle.loads(pickle.dumps(detector))
    # Its oldest point held is its first, more than a day before: it is warm.
    np.testing.assert_array_equal(restored.update(ts[1000:], values[1000:]).score, whole[1000:])
    assert not restored.learning_


@pytest.mark.parametrize("chunk", [7, 1000])
def test_a_steady_fill_raises_no_event_and_its_scores_do_not_depend_on_chunks(chunk):
    from .test_kmeans import filling_disk

    ts, values = filling_disk(n_days=4)
    whole = StreamingDetector().update(ts, values)
    detector = StreamingDetector()
    parts = [detector.update(ts[i : i + chunk], values[i : i + chunk]) for i in range(0, ts.size, chunk)]

    np.testing.assert_array_equal(np.concatenate([p.score for p in parts]), whole.score)
    assert not whole.alarm.any() and np.nanmax(whole.raw_score) < 0.5
    # Levels judged as they are (no line) see every new level above the training range.
    scorers = StreamingDetector()._prototypes()
    scorers[1] = KMeansWindowScorer(n_clusters=4, window=6, smooth=12, diff=False)
    assert StreamingDetector(scorers=scorers).update(ts, values).alarm.any()


def test_a_fall_below_everything_the_series_has_shown_scores_one():
    ts, values, _ = arrays()
    values = values.copy()
    low = np.nanmin(values[:2000])
    values[2000:2010] = low - 0.5 * (np.nanmax(values[:2000]) - low)  # an outage below the range
    result = small_detector(warmup_seconds=0).update(ts, values)
    assert result.raw_score[2000] == 1.0 and result.alarm[2000]
    off = small_detector(warmup_seconds=0, novelty_tolerance=None).update(ts, values)
    assert off.raw_score[2000] < 1.0


def test_a_detector_pickled_before_the_likelihood_and_the_new_range_takes_them_up():
    ts, values, _ = arrays()
    whole = small_detector().update(ts, values)
    detector = small_detector()
    detector.update(ts[:1000], values[:1000])
    for name in ("likelihood_window", "likelihood_history", "novelty_tolerance", "likelihood_", "range_"):
        delattr(detector, name)
    restored = pickle.loads(pickle.dumps(detector))
    rest = restored.update(ts[1000:], values[1000:])
    # The range from the values it held; the likelihood as a new detector has it.
    assert restored.range_.lo_ == np.nanmin(values) and restored.range_.hi_ == np.nanmax(values)
    assert restored.likelihood_.window == StreamingDetector().likelihood_window
    assert np.isfinite(rest.score).sum() == np.isfinite(whole.score[1000:]).sum()
