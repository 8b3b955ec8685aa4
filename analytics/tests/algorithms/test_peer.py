import numpy as np
import pandas as pd
import pytest

from analytics.algorithms.peer import peer_outliers

from .helpers import utc_index


def peer_group(n_members=6, deviant=2, shift=8.0, seed=0):
    rng = np.random.default_rng(seed)
    base = 50 + 10 * np.sin(np.arange(200) / 10)
    data = {f"host{i}": base + rng.normal(size=200) for i in range(n_members)}
    data[f"host{deviant}"] = data[f"host{deviant}"] + shift
    return pd.DataFrame(data, index=utc_index(200))


@pytest.mark.parametrize("method", ["mad", "dbscan"])
def test_it_finds_the_one_host_that_runs_above_its_peers(method):
    result = peer_outliers(peer_group(), method=method)
    assert list(result.index[result["outlier"]]) == ["host2"]
    assert result.loc["host2", "direction"] == 1
    assert result["score"].between(0, 1).all()


@pytest.mark.parametrize("method", ["mad", "dbscan"])
def test_a_group_that_agrees_has_no_outlier(method):
    assert not peer_outliers(peer_group(shift=0.0), method=method)["outlier"].any()


def test_a_peer_group_needs_at_least_three_members():
    with pytest.raises(ValueError, match="at least 3"):
        peer_outliers(peer_group(n_members=6)[["host0", "host1"]])


def test_a_member_without_values_is_never_an_outlier():
    frame = peer_group()
    frame["host5"] = np.nan
    result = peer_outliers(frame)
    assert not result.loc["host5", "outlier"] and np.isnan(result.loc["host5", "score"])
