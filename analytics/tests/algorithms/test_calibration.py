import numpy as np

from analytics.algorithms.calibration import TailCalibrator, combine_scores


def test_ordinary_values_score_near_zero_and_extreme_ones_near_one():
    reference = np.abs(np.random.default_rng(0).normal(size=5000))
    calibrator = TailCalibrator().fit(reference)
    scores = calibrator.score(np.array([0.1, 1.0, 3.0, 10.0, 100.0]))
    assert scores[0] < 0.05 and scores[1] < 0.15
    assert np.all(np.diff(scores) >= 0)
    assert scores[-1] == 1.0


def test_scores_stay_in_the_unit_interval_and_nan_stays_nan():
    calibrator = TailCalibrator().fit(np.arange(100.0))
    scores = calibrator.score(np.array([-5.0, np.nan, 1e300, np.inf]))
    assert np.isnan(scores[1])
    finite = scores[~np.isnan(scores)]
    assert np.all((finite >= 0) & (finite <= 1))


def test_inverse_gives_the_surprise_at_a_score():
    calibrator = TailCalibrator().fit(np.abs(np.random.default_rng(1).normal(size=2000)))
    raw = calibrator.inverse(0.5)
    assert (
        calibrator.score(np.array([raw]))[0] == np.float64(0.5).round(6)
        or abs(calibrator.score(np.array([raw]))[0] - 0.5) < 1e-6
    )


def test_a_constant_training_set_does_not_make_every_change_certain():
    calibrator = TailCalibrator().fit(np.zeros(500))
    assert calibrator.score(np.array([1e-12]))[0] < 1.0


def test_combining_one_score_gives_it_back_and_zeros_stay_zero():
    scores = np.array([[0.0, 0.2, 0.5, 1.0]])
    np.testing.assert_allclose(combine_scores(scores), scores[0], atol=1e-12)
    assert combine_scores(np.zeros((4, 3))).tolist() == [0.0, 0.0, 0.0]


def test_several_moderate_scores_outweigh_one_and_nan_stays_nan():
    combined = combine_scores(np.array([[0.3, 0.3, np.nan], [0.3, 0.0, 0.2], [0.3, 0.0, 0.2]]))
    assert combined[0] > 0.3 and combined[1] < 0.3
    assert np.isnan(combined[2])
    assert np.all((combined[:2] >= 0) & (combined[:2] <= 1))
