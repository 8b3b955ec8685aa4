import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analytics.algorithms.rolling import (
    RollingState,
    ewma,
    rolling_mean,
    rolling_std,
    rolling_var,
    rolling_zscore,
)

from .helpers import tiny_series


def test_a_count_window_mean_matches_hand_computation_and_keeps_nan():
    result = rolling_mean(tiny_series(), 2, min_periods=1).to_numpy()
    np.testing.assert_allclose(result, [1.0, 1.5, np.nan, 4.0, 4.5, 7.0])


def test_a_time_window_is_gap_aware():
    # The 20-minute gap before 00:50 empties its 15-minute window but for itself.
    result = rolling_mean(tiny_series(), "15m", min_periods=1).to_numpy()
    np.testing.assert_allclose(result, [1.0, 1.5, np.nan, 4.0, 5.0, 7.0])


def test_a_window_with_too_few_points_gives_nan():
    result = rolling_var(tiny_series(), "15m", min_periods=2).to_numpy()
    np.testing.assert_allclose(result, [np.nan, 0.5, np.nan, np.nan, np.nan, 8.0])


def test_std_is_the_square_root_of_var():
    y = tiny_series()
    np.testing.assert_allclose(rolling_std(y, 3) ** 2, rolling_var(y, 3))


def test_the_zscore_compares_each_point_with_the_window_before_it():
    # At 01:00 the previous 3 positions are 4, NaN... no: 2 (NaN), 4, 5 -> mean 4.5, std 0.7071.
    z = rolling_zscore(tiny_series(), 3, min_periods=2).to_numpy()
    assert np.isnan(z[2])
    assert z[5] == pytest.approx((9 - 4.5) / np.sqrt(0.5))
    assert z[4] == pytest.approx((5 - 3) / np.sqrt(2.0))


def test_a_zscore_after_a_constant_window_is_infinite_in_the_direction_of_change():
    index = pd.date_range("2024-01-01", periods=5, freq="1min", tz="UTC")
    z = rolling_zscore(pd.Series([3.0, 3.0, 3.0, 3.0, 2.0], index=index), 3).to_numpy()
    assert z[3] == 0.0 and z[4] == -np.inf


def test_ewma_uses_elapsed_time_as_its_weight():
    # A half-life of 10 minutes: after 10 minutes the average moves half way.
    result = ewma(tiny_series(), "10m").to_numpy()
    np.testing.assert_allclose(result[:2], [1.0, 1.5])
    assert np.isnan(result[2])
    assert result[3] == pytest.approx(1.5 + (4 - 1.5) * (1 - 2**-2))


def test_variance_keeps_its_precision_on_a_large_level():
    rng = np.random.default_rng(0)
    index = pd.date_range("2024-01-01", periods=5000, freq="10s", tz="UTC")
    values = 1e9 + rng.normal(size=5000)
    var = rolling_var(pd.Series(values, index=index), 100).to_numpy()
    # Subtracting the level is exact here, so this reference has no cancellation;
    # a naive sum-of-squares formula would be off by ~1e18 * 2e-16 = 100.
    expected = pd.Series(values - 1e9).rolling(100).var().to_numpy()
    np.testing.assert_allclose(var[99:], expected[99:], rtol=1e-5)


def test_the_input_series_is_left_unchanged():
    y = tiny_series()
    before = y.copy()
    rolling_zscore(y, "30m")
    ewma(y, 2)
    pd.testing.assert_series_equal(y, before)


def test_it_rejects_a_naive_index():
    y = tiny_series()
    with pytest.raises(TypeError):
        rolling_mean(y.tz_localize(None), 3)


def test_a_window_in_seconds_reads_as_tsmon_reads_it_everywhere():
    # pandas would read "300" as 300 nanoseconds; tsmon's one grammar reads five minutes.
    y = tiny_series()
    pd.testing.assert_series_equal(rolling_mean(y, "300"), rolling_mean(y, pd.Timedelta(minutes=5)))
    pd.testing.assert_series_equal(rolling_mean(y, "5m"), rolling_mean(y, dt.timedelta(minutes=5)))


@pytest.mark.parametrize("window", ["15min", "1 hour", "-5m", "0", 1.5, None])
def test_a_window_outside_the_grammar_is_refused_with_its_reason(window):
    with pytest.raises(ValueError, match="window"):
        rolling_mean(tiny_series(), window)


def test_it_rejects_unsorted_timestamps():
    y = tiny_series().iloc[::-1]
    with pytest.raises(ValueError):
        rolling_mean(y, 3)


@pytest.mark.parametrize("window", [25, "2h"])
@pytest.mark.parametrize("cuts", [[1], [7, 8, 500], [333, 999, 1500, 1999]])
def test_the_incremental_state_equals_the_batch_form_wherever_the_data_is_split(window, cuts):
    rng = np.random.default_rng(3)
    ts = np.cumsum(rng.integers(1, 600, size=2000)) * 10**9
    values = 100 + np.cumsum(rng.normal(size=2000))
    values[rng.integers(0, 2000, 40)] = np.nan
    index = pd.DatetimeIndex(ts.view("datetime64[ns]")).tz_localize("UTC")
    y = pd.Series(values, index=index)
    state = RollingState(window, min_periods=3, halflife="30m")
    bounds = [0, *cuts, 2000]
    parts = [state.update(ts[a:b], values[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    got = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    np.testing.assert_allclose(got["mean"], rolling_mean(y, window, 3), rtol=1e-10)
    np.testing.assert_allclose(got["var"], rolling_var(y, window, 3), rtol=1e-8)
    np.testing.assert_allclose(got["zscore"], rolling_zscore(y, window, 3), rtol=1e-8)
    np.testing.assert_array_equal(got["ewma"], ewma(y, "30m"))
