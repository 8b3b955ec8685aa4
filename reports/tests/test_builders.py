"""Report builders on hand-made inputs: no database."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analytics.algorithms.capacity import time_to_threshold
from reports import builders
from reports.builders import (
    Coverage,
    EventInput,
    PeerGroupInput,
    ReportRequest,
    SeriesForecastInput,
    SeriesInfo,
    describe_series,
    find_gaps,
    find_peer_outliers,
)

END = dt.datetime(2026, 11, 16, 0, 0, tzinfo=dt.UTC)


def disk(host: str, rate_per_day: float, last: float) -> SeriesForecastInput:
    history_index = pd.date_range(END - dt.timedelta(hours=47), END, freq="1h")
    history = pd.Series(
        last - rate_per_day * (END - history_index) / dt.timedelta(days=1), index=history_index
    )
    index = pd.date_range(END + dt.timedelta(hours=1), periods=24 * 14, freq="1h")
    mean = last + rate_per_day * np.arange(1, len(index) + 1) / 24
    frame = pd.DataFrame(
        {"mean": mean, "lo-80": mean - 1, "hi-80": mean + 1, "lo-95": mean - 3, "hi-95": mean + 3},
        index=index,
    )
    info = SeriesInfo(
        f'disk_used_percent{{host="{host}",mount="/"}}',
        "disk_used_percent",
        {"host": host, "mount": "/"},
        "percent",
        100.0,
        (0.0, 100.0),
    )
    return SeriesForecastInput(
        info, history, frame, "RegressionForecaster", {}, 100.0, time_to_threshold(frame, 100.0)
    )


def test_the_capacity_report_puts_the_resource_that_fills_first_on_top():
    request = ReportRequest("capacity", END - dt.timedelta(days=2), END, params={"days": 14})
    content = builders.build_capacity_report(
        request, [disk("slow", 1.0, 50.0), disk("fast", 5.0, 80.0), disk("never", 0.0, 40.0)], []
    )

    rows = content["tables"]["capacity"]["rows"]
    assert [r[1] for r in rows] == ['disk_used_percent{host="fast",mount="/"}']  # the slow one needs 50 days
    assert content["summary"][0].startswith("disk / on fast fills in 4.0 days (95 % interval 3.4–4.6 days)")
    assert rows[0][7] == pytest.approx(4.0, abs=0.05)


def test_it_names_series_in_plain_words():
    cases = {
        (
            "disk_used_percent",
            (("host", "db-1"), ("mount", "/var/lib/postgresql")),
        ): "disk /var/lib/postgresql on db-1",
        ("cpu_usage_percent", (("host", "web-1"),)): "cpu on web-1",
        ("http_request_latency_seconds", (("host", "web-2"),)): "http request latency on web-2",
        ("queue_depth", (("queue", "mail"),)): "queue depth {queue=mail}",
    }
    for (metric, labels), words in cases.items():
        assert describe_series(SeriesInfo("k", metric, dict(labels))) == words


def test_it_finds_a_gap_but_not_the_rhythm_of_a_sparse_series():
    step = dt.timedelta(minutes=10)
    start = END - dt.timedelta(hours=4)
    buckets = pd.date_range(start, END - step, freq=step)
    with_gap = pd.Series(10.0, index=buckets.delete(range(6, 12)))  # an hour missing
    every_other = pd.Series(1.0, index=buckets[::2])  # a point every 20 minutes

    gaps = find_gaps(with_gap, start, END, step)

    assert gaps == [
        {"start": "2026-11-15T21:00:00Z", "end": "2026-11-15T22:00:00Z", "duration_seconds": 3600.0}
    ]
    assert find_gaps(every_other, start, END, step) == []
    coverage = builders.describe_coverage([Coverage(SeriesInfo("a", "a", {}), with_gap, step)], start, END)
    assert coverage["n_points"] == 180 and coverage["series"][0]["gaps"] == 1


def test_the_noisy_member_of_a_peer_group_stands_out_on_its_day_only():
    index = pd.date_range(END - dt.timedelta(days=3), END, freq="5min", inclusive="left")
    rng = np.random.default_rng(1)
    std = pd.DataFrame(
        {h: 2 + rng.normal(0, 0.2, len(index)) for h in ("web-1", "web-2", "web-3", "web-4")}, index=index
    )
    noisy_day = (index >= END - dt.timedelta(days=2)) & (index < END - dt.timedelta(days=1))
    std.loc[noisy_day, "web-3"] = 14 + rng.normal(0, 1, noisy_day.sum())
    infos = {h: SeriesInfo(f'cpu{{host="{h}"}}', "cpu", {"host": h}) for h in std.columns}

    outliers = find_peer_outliers(PeerGroupInput("cpu", "web-*", {"variability": std}, infos))

    assert [(o["host"], o["start"], o["end"], o["direction"]) for o in outliers] == [
        ("web-3", "2026-11-14T00:00:00Z", "2026-11-15T00:00:00Z", "noisier than its peers")
    ]


def event(host: str, score: float, minutes: int, start_hour: int) -> EventInput:
    start = END - dt.timedelta(hours=start_hour)
    return EventInput(
        SeriesInfo(f'cpu{{host="{host}"}}', "cpu", {"host": host}), start, start + dt.timedelta(minutes=minutes),
        score, start, minutes, 1, "default", pd.Series(dtype=float),
        pd.DataFrame(columns=["value", "expected", "lo", "hi"]),
    )  # fmt: skip


def test_events_are_ranked_by_score_then_duration_and_grouped_by_host():
    request = ReportRequest("anomaly", END - dt.timedelta(days=1), END)
    events = [event("a", 0.6, 5, 3), event("b", 0.9, 5, 2), event("a", 0.6, 30, 1)]

    content = builders.build_anomaly_report(request, events, [], [], [])

    assert [(e["host"], e["peak_score"], e["duration_seconds"]) for e in content["events"]] == [
        ("b", 0.9, 300.0), ("a", 0.6, 1800.0), ("a", 0.6, 300.0)
    ]  # fmt: skip
    assert content["groups"] == [
        {"host": "b", "metrics": [{"metric": "cpu", "events": [1]}]},
        {"host": "a", "metrics": [{"metric": "cpu", "events": [2, 3]}]},
    ]
    assert content["summary"][0].startswith("3 anomaly events in 2 series on 2 hosts, in 3 incidents")
    assert content["summary"][-1] == "No alerts fired."


def test_horizons_are_durations_in_the_one_grammar():
    assert builders.parse_horizon("6h") == dt.timedelta(hours=6)
    assert builders.parse_horizon("5400") == builders.parse_horizon("1.5h") == dt.timedelta(minutes=90)
    for text in ("6 hours", "0m", "30s"):
        with pytest.raises(ValueError, match=repr(text)):
            builders.parse_horizon(text)
