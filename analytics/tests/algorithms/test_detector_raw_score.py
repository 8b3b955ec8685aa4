import pickle

import numpy as np

from analytics.algorithms.detector import StreamingDetector

# These tests are about the scores' damping, from the first model on: no warm-up
# (a day by default), and the scorers' scores as they are (no likelihood of
# runs of scores, no score 1 for a value beyond the range seen).
NO_WARMUP = {"warmup_seconds": 0, "likelihood_window": None, "novelty_tolerance": None}


def test_raw_scores_keep_what_refractory_damping_hides():
    rng = np.random.default_rng(4)
    values = 10 + rng.normal(0, 1, 1200)
    values[[800, 850]] += 30  # the second spike falls inside the first one's refractory period
    ts = np.arange(values.size, dtype=np.int64) * 60_000_000_000

    result = StreamingDetector(refractory=300, warmup_seconds=0).update(ts, values)

    assert result.alarm[800] and not result.alarm[850]
    assert result.score[850] < result.raw_score[850]
    assert result.raw_score[850] >= 0.5
    # Damping touches only the refractory periods that follow alarms, and
    # points of a run of high scores no higher than an earlier one.
    in_refractory = np.zeros(values.size, bool)
    for start in np.flatnonzero(result.alarm):
        in_refractory[start + 1 : start + 301] = True
    differs = ~np.isclose(result.score, result.raw_score, equal_nan=True)
    assert not np.any(differs & ~in_refractory & ~repeats_in_runs(result.raw_score, 0.25))


def repeats_in_runs(raw, level):
    """The run rule, written out point by point."""
    repeat, best = np.zeros(raw.size, bool), 0.0
    for i, x in enumerate(np.nan_to_num(raw)):
        if x < level:
            best = 0.0
            continue
        repeat[i] = x <= best
        best = max(best, x)
    return repeat


class ValueIsScore:
    """A scorer whose score is the value itself, to feed the detector chosen scores."""

    context_size = 0

    def fit_values(self, values):
        return self

    def score_values(self, values, n_new):
        return values[values.size - n_new :]


def run_scores(values, chunk=None):
    detector = StreamingDetector(
        scorers=[ValueIsScore()], combine="max", min_train=1, retrain_every=10, **NO_WARMUP
    )
    ts = np.arange(values.size, dtype=np.int64) * 60_000_000_000
    chunk = chunk or values.size
    parts = [detector.update(ts[i : i + chunk], values[i : i + chunk]) for i in range(0, values.size, chunk)]
    return np.concatenate([p.score for p in parts]), np.concatenate([p.raw_score for p in parts])


def test_in_a_run_of_high_scores_only_new_highs_keep_their_score():
    values = np.array([0.0, 0.0, 0.3, 0.45, 0.44, 0.46, 0.46, 0.1, 0.45, 0.48, 0.2])
    score, raw = run_scores(values)
    np.testing.assert_array_equal(raw[1:], values[1:])
    repeats = [4, 6]  # 0.44 after 0.45, and 0.46 after 0.46, in the run 0.3 .. 0.46
    np.testing.assert_allclose(score[repeats], 0.3 * values[repeats])
    others = np.setdiff1d(np.arange(1, values.size), repeats)
    np.testing.assert_array_equal(score[others], values[others])
    # A run split across calls is still one run.
    for chunk in (1, 3, 5):
        np.testing.assert_array_equal(run_scores(values, chunk)[0], score)


def test_a_detector_pickled_before_runs_were_tracked_still_updates():
    values = np.array([0.0, 0.0, 0.3, 0.45, 0.44, 0.2])
    ts = np.arange(values.size, dtype=np.int64) * 60_000_000_000
    detector = StreamingDetector(scorers=[ValueIsScore()], combine="max", min_train=1, **NO_WARMUP)
    detector.update(ts[:3], values[:3])
    del detector.run_level, detector.run_max_
    restored = pickle.loads(pickle.dumps(detector))
    np.testing.assert_allclose(restored.update(ts[3:], values[3:]).score, [0.45, 0.3 * 0.44, 0.2])


def test_the_run_rule_matches_its_point_by_point_statement_in_any_chunks():
    rng = np.random.default_rng(7)
    values = np.round(rng.uniform(0, 0.6, 3000), 2)  # many runs and many ties
    values[rng.random(values.size) < 0.01] = np.nan
    ts = np.arange(values.size, dtype=np.int64) * 60_000_000_000
    # No alarms (scores never reach 2), so only the run rule damps.
    detector = StreamingDetector(
        scorers=[ValueIsScore()], combine="max", min_train=1, alarm_level=2.0, **NO_WARMUP
    )
    cuts = np.unique(np.concatenate([[0, values.size], rng.integers(0, values.size, 300)]))
    score = np.concatenate(
        [detector.update(ts[a:b], values[a:b]).score for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
    )
    raw = np.where(np.arange(values.size) == 0, 0.0, values)  # the first point comes before any model
    expected = np.where(repeats_in_runs(raw, 0.25), 0.3 * raw, raw)
    np.testing.assert_allclose(score, expected, equal_nan=True)
