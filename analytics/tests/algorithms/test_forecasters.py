"""The contract every forecaster shares, and what each one must get right."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from analytics.algorithms.regression import RegressionForecaster
from analytics.algorithms.seasonal_naive import SeasonalNaive

from .helpers import seasonal_series

FORECASTERS = {
    "seasonal_naive": lambda: SeasonalNaive(season_length=24),
    "regression": lambda: RegressionForecaster(n_origins=3),
}


@pytest.fixture(params=list(FORECASTERS))
def make(request):
    return FORECASTERS[request.param]


def test_fit_returns_self_and_leaves_the_input_unchanged(make):
    y = seasonal_series(n=24 * 10)
    before = y.copy()
    model = make()
    assert model.fit(y) is model
    pd.testing.assert_series_equal(y, before)


def test_the_forecast_frame_follows_the_one_contract(make):
    y = seasonal_series(n=24 * 10)
    frame = make().fit(y).predict(30, level=[80, 95])
    assert list(frame.columns) == ["mean", "lo-80", "hi-80", "lo-95", "hi-95"]
    assert frame.index[0] == y.index[-1] + pd.Timedelta("1h") and len(frame) == 30
    assert str(frame.index.tz) == "UTC"
    assert (frame["lo-95"] <= frame["lo-80"]).all() and (frame["hi-80"] <= frame["hi-95"]).all()
    assert ((frame["lo-80"] <= frame["mean"]) & (frame["mean"] <= frame["hi-80"])).all()


def test_predict_does_not_change_the_model_and_refitting_gives_the_same_result(make):
    y = seasonal_series(n=24 * 10)
    model = make().fit(y)
    first = model.predict(24)
    pd.testing.assert_frame_equal(model.predict(24), first)
    pd.testing.assert_frame_equal(model.fit(y).predict(24), first)


def test_missing_history_values_are_skipped_not_treated_as_zero(make):
    y = seasonal_series(n=24 * 10)
    holed = y.copy()
    holed.iloc[[-30, -50, -51]] = np.nan
    frame = make().fit(holed).predict(24)
    assert np.isfinite(frame.to_numpy()).all()
    assert frame["mean"].min() > 3  # the series never goes near 0


def test_seasonal_naive_repeats_the_last_season():
    y = seasonal_series(n=24 * 5)
    frame = SeasonalNaive(season_length=24).fit(y).predict(30)
    np.testing.assert_array_equal(frame["mean"].to_numpy()[:24], y.to_numpy()[-24:])
    np.testing.assert_array_equal(frame["mean"].to_numpy()[24:], y.to_numpy()[-24:-18])


def test_the_regression_forecaster_beats_seasonal_naive_on_a_seasonal_series():
    y = seasonal_series(n=24 * 28 + 48, seed=5)
    train, test = y.iloc[:-48], y.to_numpy()[-48:]
    regression = RegressionForecaster().fit(train).predict(48)["mean"].to_numpy()
    naive = SeasonalNaive(season_length=24).fit(train).predict(48)["mean"].to_numpy()
    assert np.mean(np.abs(test - regression)) < 0.8 * np.mean(np.abs(test - naive))


@pytest.mark.parametrize("days", [15, 35])  # two weeks are enough to learn a weekly season from
def test_it_chooses_the_weekly_season_when_the_series_has_one(days):
    n = 24 * days
    t = np.arange(n)
    weekly = np.where((t // 24) % 7 >= 5, -4.0, 0.0)
    values = 20 + 3 * np.sin(2 * np.pi * t / 24) + weekly + 0.2 * np.random.default_rng(2).normal(size=n)
    y = pd.Series(values, index=pd.date_range("2024-01-01", periods=n, freq="1h", tz="UTC"))
    best = RegressionForecaster().fit(y).candidates_[0]
    assert 168 in best.lags or 168 in best.periods


def test_the_regressor_is_injected():
    # Noise that persists from hour to hour: what lags forecast and a line cannot.
    n = 24 * 10
    noise = np.zeros(n)
    for i, shock in enumerate(np.random.default_rng(3).normal(size=n)[1:], start=1):
        noise[i] = 0.9 * noise[i - 1] + shock
    values = 10 + 3 * np.sin(2 * np.pi * np.arange(n) / 24) + noise
    y = pd.Series(values, index=pd.date_range("2024-01-01", periods=n, freq="1h", tz="UTC"))
    model = RegressionForecaster(regressor=LinearRegression()).fit(y)
    assert model.models_ and all(spec.form == "lags" for spec, _ in model.models_)
    assert all(isinstance(fitted, LinearRegression) for _, fitted in model.models_)


def test_95_percent_intervals_cover_about_95_percent_of_future_points():
    inside = []
    for seed in range(12):
        y = seasonal_series(n=24 * 14 + 48, seed=seed, noise=1.0)
        frame = RegressionForecaster(n_origins=6).fit(y.iloc[:-48]).predict(48, level=[95])
        actual = y.to_numpy()[-48:]
        inside.append((actual >= frame["lo-95"].to_numpy()) & (actual <= frame["hi-95"].to_numpy()))
    assert 0.88 <= np.mean(inside) <= 0.995
