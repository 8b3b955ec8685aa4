"""The k-means window scorer on data that trips scikit-learn up."""

import warnings

import numpy as np

from analytics.algorithms.kmeans import KMeansWindowScorer


def test_a_flat_stretch_fits_quietly_and_scores_a_step_as_anomalous():
    flat = np.full(600, 3.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a live job would log KMeans' warning on every retrain
        scorer = KMeansWindowScorer().fit_values(flat)
    stepped = np.concatenate([flat, [9.0]])
    assert scorer.score_values(stepped, 1)[0] > 0.9
