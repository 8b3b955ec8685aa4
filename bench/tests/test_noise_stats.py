"""bench/noise_stats.py on hand-made events and windows, and on the demo's own anomaly list."""

import datetime as dt

import pytest

from bench.noise_stats import (
    Event,
    Window,
    demo_end,
    in_first_day,
    match,
    outside,
    per_series_week,
    score_bins,
    subset,
)
from demo import data as demo

T0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
CPU = 'cpu{host="a"}'
GRACE = dt.timedelta(minutes=30)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def event(start, end, score=0.6, series=CPU) -> Event:
    return Event("default", series, series.split("{")[0], at(start), at(end), score)


WINDOW = Window("spike", CPU, at(100), at(106))


def test_an_event_overlaps_a_window_it_meets_within_the_grace_after_its_end():
    inside, before, just_after, long_after = event(102, 103), event(90, 99), event(130, 131), event(137, 140)
    elsewhere = event(102, 103, series='cpu{host="b"}')

    noise = outside([inside, before, just_after, long_after, elsewhere], [WINDOW], GRACE)

    assert noise == [before, long_after, elsewhere]


def test_a_match_says_how_long_after_the_start_the_first_flagged_point_came():
    events = [event(103, 110, score=0.9), event(120, 121, score=0.7), event(300, 301, score=1.0)]

    found = match(WINDOW, events, [at(99), at(103), at(104)], GRACE)

    assert found.detected and found.n_events == 2
    assert found.first_point_delay == dt.timedelta(minutes=3)
    assert found.peak_score == 0.9


def test_a_missed_window_has_no_events_and_no_delay():
    found = match(WINDOW, [event(300, 301)], [at(300)], GRACE)

    assert not found.detected
    assert found.first_point_delay is None and found.peak_score is None


def test_first_day_events_are_those_starting_within_24_hours_of_their_series():
    early, late = event(60, 61), event(24 * 60 + 1, 24 * 60 + 2)

    assert in_first_day([early, late], {CPU: T0}) == [early]


def test_scores_fall_in_bins_of_a_tenth_from_one_half():
    events = [event(0, 1, score=s) for s in (0.5, 0.55, 0.79, 0.8, 0.95, 1.0)]

    assert score_bins(events) == {"0.5-0.6": 2, "0.6-0.7": 0, "0.7-0.8": 1, "0.8-0.9": 1, "0.9-1.0": 2}


def test_the_rate_is_per_series_per_week():
    assert per_series_week(10, 5, 14) == pytest.approx(1.0)


END = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)


def test_every_injected_anomaly_names_exactly_one_demo_series():
    data = demo.build_demo(END)

    for a in data.anomalies:
        found = [s for s in data.series if s.metric == a.metric and a.labels.items() <= s.labels.items()]
        assert len(found) == 1, a


def test_a_subset_keeps_the_last_days_of_the_chosen_hosts_and_their_anomalies():
    data = demo.build_demo(END)

    part = subset(data, hosts=["web-1", "db-1"], days=6)

    assert {s.labels["host"] for s in part.series} == {"web-1", "db-1"}
    assert all(s.values.size == 6 * 1440 for s in part.series)
    assert part.timestamps_us[-1] == data.timestamps_us[-1]
    assert {a.kind for a in part.anomalies} == {"spike", "filling"}
    assert all(a.start >= part.start for a in part.anomalies)


def test_the_demo_ends_last_monday_at_midnight_unless_told_otherwise():
    wednesday = dt.datetime(2026, 12, 2, 20, 51, 7, tzinfo=dt.UTC)

    assert demo_end(None, wednesday) == dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
    assert demo_end(None, dt.datetime(2026, 11, 30, 0, 5, tzinfo=dt.UTC)) == dt.datetime(
        2026, 11, 30, tzinfo=dt.UTC
    )
    assert demo_end("now", wednesday) == wednesday
    assert demo_end("2026-11-21T12:00", wednesday) == dt.datetime(2026, 11, 21, 12, tzinfo=dt.UTC)
