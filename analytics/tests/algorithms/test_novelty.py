"""The new-range rule: a value well beyond everything the series has shown."""

import numpy as np
import pytest

from analytics.algorithms.novelty import NewRange


def test_a_value_beyond_the_range_by_more_than_the_tolerance_is_new():
    memory = NewRange(tolerance=0.05)
    # Range 40..60 (width 20): new below 39 or above 61.
    new = memory.update(np.array([40.0, 60.0, 50.0, 60.9, 38.5, 61.5]))
    np.testing.assert_array_equal(new, [False, False, False, False, True, False])
    # 38.5 widened the range to 38.5..60.9 (width 22.4, margin 1.12): 61.5 is inside.
    assert (memory.lo_, memory.hi_) == (38.5, 61.5)


def test_a_series_of_one_value_and_missing_values_are_never_new():
    memory = NewRange()
    assert not memory.update(np.array([5.0, 5.0, 5.0, np.nan])).any()
    new = memory.update(np.array([np.nan, 7.0, 0.0]))
    # 7 after a range of width 0 is not new (no scale yet); 0 then is (range 5..7).
    np.testing.assert_array_equal(new, [False, False, True])


def test_a_steady_fill_never_leaves_its_range_by_the_tolerance():
    values = np.linspace(10.0, 80.0, 5000) + np.random.default_rng(0).normal(0, 0.01, 5000)
    new = NewRange().update(values)
    # Only in the first few points, while the noise is as wide as the range
    # (the detector's warm-up covers them).
    assert not new[100:].any()


@pytest.mark.parametrize("chunk", [1, 7, 250])
def test_the_flags_do_not_depend_on_how_values_are_split(chunk):
    values = np.random.default_rng(1).standard_cauchy(1000)
    values[::97] = np.nan
    whole = NewRange().update(values)
    memory = NewRange()
    parts = [memory.update(values[i : i + chunk]) for i in range(0, values.size, chunk)]
    np.testing.assert_array_equal(np.concatenate(parts), whole)
    assert whole.sum() > 3


def test_a_memory_built_from_values_has_their_range():
    memory = NewRange.from_values(np.array([3.0, np.nan, 9.0]))
    assert (memory.lo_, memory.hi_) == (3.0, 9.0)
    # Width 6, margin 0.3: 9.2 is inside; then width 6.2, margin 0.31: 9.9 is new.
    np.testing.assert_array_equal(memory.update(np.array([9.2, 9.9])), [False, True])


def test_a_record_of_noise_within_the_noise_margin_is_not_new():
    values = 33 + np.random.default_rng(3).normal(0, 0.05, 20_000)  # a flat disk, noise 0.05
    assert NewRange().update(values)[1440:].any()  # 5 % of the range is less than the noise
    memory = NewRange()
    memory.update(values[:1440])
    assert not memory.update(values[1440:], min_margin=2 * 0.05).any()
    assert memory.update(np.array([0.0]), min_margin=0.1).all()  # a fall to zero is new
