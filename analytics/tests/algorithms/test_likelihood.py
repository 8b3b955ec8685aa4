"""The anomaly likelihood: a run of raised scores judged against the series' own scores."""

import numpy as np
import pytest

from analytics.algorithms.likelihood import AnomalyLikelihood


def fed(history: np.ndarray, **kwargs) -> AnomalyLikelihood:
    likelihood = AnomalyLikelihood(**kwargs)
    likelihood.update(history)
    return likelihood.estimate()


def test_nothing_is_scored_before_the_law_is_estimated():
    likelihood = AnomalyLikelihood(min_history=100)
    assert not likelihood.update(np.full(50, 0.9)).any()
    assert likelihood.estimate().mean_ is None  # 50 means < 100


def test_a_run_of_moderate_scores_on_a_quiet_series_is_an_anomaly_and_one_such_score_is_not():
    quiet = np.abs(np.random.default_rng(0).normal(0, 0.02, 1000))
    single = fed(quiet).update(np.r_[0.3, np.zeros(19)])
    run = fed(quiet).update(np.full(20, 0.3))
    assert single.max() < 0.1
    assert run[-1] > 0.5


def test_the_same_run_on_a_series_whose_scores_often_rise_is_not():
    rng = np.random.default_rng(1)
    noisy = np.repeat(rng.uniform(0, 0.5, 50), 20)  # stretches of raised scores are its habit
    assert fed(noisy).update(np.full(20, 0.3)).max() < 0.2


def test_the_floors_keep_a_series_of_zeros_from_alarming_at_a_wobble():
    zeros = fed(np.zeros(500))
    assert (zeros.mean_, zeros.std_) == (0.03, 0.05)
    assert zeros.update(np.full(20, 0.05)).max() < 0.1


@pytest.mark.parametrize("chunk", [1, 7, 300])
def test_the_scores_do_not_depend_on_how_scores_are_split(chunk):
    rng = np.random.default_rng(2)
    scores = np.clip(rng.exponential(0.05, 3000), 0, 1)
    scores[2000:2040] = 0.4
    scores[::101] = np.nan

    def run(size):
        likelihood, out = AnomalyLikelihood(), []
        # Re-estimated every 100 scores, as the detector does at its fits.
        for start in range(0, scores.size, 100):
            block = scores[start : start + 100]
            out += [likelihood.update(block[i : i + size]) for i in range(0, block.size, size)]
            likelihood.estimate()
        return np.concatenate(out)

    np.testing.assert_array_equal(run(chunk), run(100))
    assert run(100)[2000:2100].max() > 0.5
