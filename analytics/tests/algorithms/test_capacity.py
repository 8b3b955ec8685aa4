import pandas as pd

from analytics.algorithms.capacity import time_to_threshold


def forecast_frame():
    index = pd.date_range("2024-01-01", periods=5, freq="1D", tz="UTC")
    return pd.DataFrame(
        {"mean": [70, 80, 90, 100, 110], "lo-95": [60, 65, 70, 75, 80], "hi-95": [80, 95, 110, 125, 140]},
        index=index,
    )


def test_it_says_when_the_mean_and_the_interval_edges_reach_the_threshold():
    crossing = time_to_threshold(forecast_frame(), 100)
    assert crossing.expected == pd.Timestamp("2024-01-04", tz="UTC")
    assert crossing.earliest == pd.Timestamp("2024-01-03", tz="UTC")
    assert crossing.latest is None
    assert crossing.level == 95


def test_a_downward_threshold_reads_the_lower_edge_first():
    falling = forecast_frame().iloc[::-1].set_axis(forecast_frame().index)
    crossing = time_to_threshold(falling, 75, upward=False)
    assert crossing.earliest == pd.Timestamp("2024-01-02", tz="UTC")
    assert crossing.expected == pd.Timestamp("2024-01-05", tz="UTC")
    assert crossing.latest is None
