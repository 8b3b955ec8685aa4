import numpy as np

from analytics.algorithms.detector import StreamingDetector


def test_raw_scores_keep_what_refractory_damping_hides():
    rng = np.random.default_rng(4)
    values = 10 + rng.normal(0, 1, 1200)
    values[[800, 850]] += 30  # the second spike falls inside the first one's refractory period
    ts = np.arange(values.size, dtype=np.int64) * 60_000_000_000

    result = StreamingDetector(refractory=300).update(ts, values)

    assert result.alarm[800] and not result.alarm[850]
    assert result.score[850] < result.raw_score[850]
    assert result.raw_score[850] >= 0.5
    # Damping touches only the refractory periods that follow alarms.
    in_refractory = np.zeros(values.size, bool)
    for start in np.flatnonzero(result.alarm):
        in_refractory[start + 1 : start + 301] = True
    differs = ~np.isclose(result.score, result.raw_score, equal_nan=True)
    assert not np.any(differs & ~in_refractory)
