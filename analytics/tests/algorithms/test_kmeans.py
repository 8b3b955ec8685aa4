"""The k-means window scorer on data that trips scikit-learn up."""

import warnings

import numpy as np
import pandas as pd
import pytest

from analytics.algorithms.kmeans import KMeansWindowScorer


def test_a_flat_stretch_fits_quietly_and_scores_a_step_as_anomalous():
    flat = np.full(600, 3.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a live job would log KMeans' warning on every retrain
        scorer = KMeansWindowScorer().fit_values(flat)
    stepped = np.concatenate([flat, [9.0]])
    assert scorer.score_values(stepped, 1)[0] > 0.9


MINUTE_NS = 60_000_000_000


def filling_disk(n_days: float = 3.0, stop_at_day: float | None = None, seed: int = 0):
    """A disk filling 2.4 points a day at 1-minute points, noise 0.08 (the demo's db-1 data disk)."""
    n = int(n_days * 1440)
    days = np.arange(n) / 1440
    level = 56 + 2.4 * days
    if stop_at_day is not None:
        level = np.minimum(level, 56 + 2.4 * stop_at_day)
    values = level + np.random.default_rng(seed).normal(0, 0.08, n)
    return np.arange(n, dtype=np.int64) * MINUTE_NS, values


def levels(**kwargs):
    return KMeansWindowScorer(n_clusters=4, window=6, smooth=12, diff=False, **kwargs)


def test_a_steady_fill_is_ordinary_for_levels_judged_against_its_line():
    ts, values = filling_disk()
    train, test = slice(0, 2000), slice(2000, 2120)  # 33 h to learn from, the next 2 h (a fit's life)
    judged = levels(trend_r2=0.9).fit_values(values[train], ts=ts[train])
    plain = levels().fit_values(values[train], ts=ts[train])

    assert judged.trend_ is not None and judged.trend_[2] == pytest.approx(2.4, rel=0.02)
    assert plain.trend_ is None
    n = test.stop - test.start
    history = slice(0, test.stop)
    on_line = judged.score_values(values[history], n, ts=ts[history])
    above_range = plain.score_values(values[history], n, ts=ts[history])
    # On the line the points score as the training points did (about 0.05);
    # without it nearly every one is beyond all 2000 training levels (0.41).
    assert on_line.mean() < 0.15 and above_range.mean() > 0.35


def test_a_fill_that_stops_departs_from_its_line():
    ts, values = filling_disk(stop_at_day=2000 / 1440)  # the fill stops where the training ends
    scorer = levels(trend_r2=0.9).fit_values(values[:2000], ts=ts[:2000])
    scores = scorer.score_values(values[:2120], 120, ts=ts[:2120])
    assert scores[-30:].min() > 0.5  # 1.5 h on, 0.15 below the line: 2 noise sd


def test_levels_without_a_straight_line_are_clustered_as_they_are():
    rng = np.random.default_rng(1)
    n = 2000
    daily = 50 + 10 * np.sin(2 * np.pi * np.arange(n) / 1440) + rng.normal(0, 1, n)
    ts = np.arange(n, dtype=np.int64) * MINUTE_NS
    judged = levels(trend_r2=0.9).fit_values(daily[:1800], ts=ts[:1800])
    plain = levels().fit_values(daily[:1800])
    assert judged.trend_ is None
    np.testing.assert_array_equal(judged.score_values(daily, 200, ts=ts), plain.score_values(daily, 200))


def test_the_line_keeps_scores_causal_and_the_pandas_face_passes_the_times():
    ts, values = filling_disk()
    y = pd.Series(values, index=pd.DatetimeIndex(ts.view("datetime64[ns]")).tz_localize("UTC"))
    scorer = levels(trend_r2=0.9).fit(y.iloc[:2000])
    assert scorer.trend_ is not None
    whole = scorer.score(y.iloc[:3000])
    pd.testing.assert_series_equal(scorer.score(y.iloc[:2500]), whole.iloc[:2500])
    assert whole.iloc[2000:2120].max() < 0.5
