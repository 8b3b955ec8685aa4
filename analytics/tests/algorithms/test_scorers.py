"""The contract every per-series scorer shares: fit returns self, scores in [0, 1], NaN kept, causal."""

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import MiniBatchKMeans

from analytics.algorithms.isolation import IsolationWindowScorer
from analytics.algorithms.kmeans import KMeansWindowScorer
from analytics.algorithms.residual import ResidualScorer
from analytics.algorithms.seasonal import SeasonalContextScorer

from .helpers import series_with_anomalies

SCORERS = {
    "kmeans": lambda: KMeansWindowScorer(),
    "residual": lambda: ResidualScorer(),
    "isolation": lambda: IsolationWindowScorer(n_estimators=20),
    "seasonal": lambda: SeasonalContextScorer(max_period=300),
}


@pytest.fixture(params=list(SCORERS))
def make(request):
    return SCORERS[request.param]


def train_and_test():
    y, positions = series_with_anomalies()
    return y.iloc[:1000], y, positions


def test_fit_returns_self_and_leaves_the_input_unchanged(make):
    train, _, _ = train_and_test()
    before = train.copy()
    scorer = make()
    assert scorer.fit(train) is scorer
    pd.testing.assert_series_equal(train, before)


def test_scores_are_in_the_unit_interval_and_nan_stays_nan(make):
    train, y, _ = train_and_test()
    y = y.copy()
    y.iloc[1200] = np.nan
    scores = make().fit(train).score(y)
    assert np.isnan(scores.iloc[1200])
    assert scores.drop(y.index[1200]).between(0, 1).all()


def test_scoring_does_not_change_the_model_and_refitting_gives_the_same_scores(make):
    train, y, _ = train_and_test()
    scorer = make().fit(train)
    first = scorer.score(y)
    pd.testing.assert_series_equal(scorer.score(y), first)
    pd.testing.assert_series_equal(scorer.fit(train).score(y), first)


def test_past_scores_do_not_change_when_future_points_arrive(make):
    train, y, _ = train_and_test()
    scorer = make().fit(train)
    pd.testing.assert_series_equal(scorer.score(y.iloc[:1700]), scorer.score(y).iloc[:1700])


@pytest.mark.parametrize("name", ["kmeans", "residual", "seasonal"])
def test_the_spike_and_the_dip_score_higher_than_ordinary_points(name):
    # The isolation forest is left out: on one smooth daily pattern it does not
    # separate a dip of 2.5 amplitudes from the pattern's own troughs.
    train, y, positions = train_and_test()
    scores = SCORERS[name]().fit(train).score(y).to_numpy()
    ordinary = np.quantile(scores[1000:1490], 0.99)
    for position in positions[:2]:
        assert scores[position : position + 4].max() > ordinary


def test_the_clusterer_is_injected():
    train, y, _ = train_and_test()
    scorer = KMeansWindowScorer(clusterer=MiniBatchKMeans(3, random_state=0, n_init=3)).fit(train)
    assert scorer.centers_.shape == (3, scorer.window)
