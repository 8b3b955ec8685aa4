"""A zoomed window in the time picker: `start` and `end` both given, as a chart's drag-to-zoom sends them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from web.time_picker import pick_range

NOW = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)


def test_start_and_end_give_that_window_with_the_smallest_preset_that_covers_it():
    picked = pick_range({"start": "2026-12-03T09:10:30Z", "end": "2026-12-03T10:40:00Z"}, NOW)

    assert (picked.start, picked.end) == (
        dt.datetime(2026, 12, 3, 9, 10, 30, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 3, 10, 40, tzinfo=dt.UTC),
    )
    assert (picked.key, picked.custom, picked.following) == ("6h", True, False)
    assert picked.end_text == "2026-12-03 10:40"


def test_a_zoomed_window_ignores_the_range_parameter():
    picked = pick_range({"range": "7d", "start": "2026-12-03T11:00Z", "end": "2026-12-03T11:20Z"}, NOW)

    assert picked.end - picked.start == dt.timedelta(minutes=20) and picked.key == "1h"


@pytest.mark.parametrize(
    "start",
    ["", "yesterday", "2026-12-03T11:30Z", "2026-12-03T12:00Z"],
    ids=["empty", "not-a-time", "after-end", "equal-to-end"],
)
def test_a_start_that_is_not_a_time_before_the_end_leaves_the_preset_window(start):
    picked = pick_range({"range": "6h", "start": start, "end": "2026-12-03T11:00Z"}, NOW)

    assert picked.custom is False
    assert picked.end - picked.start == dt.timedelta(hours=6)


def test_a_start_without_end_is_ignored_and_the_page_follows_the_present():
    picked = pick_range({"range": "1h", "start": "2026-12-03T11:30Z"}, NOW)

    assert (picked.following, picked.custom, picked.start) == (True, False, NOW - dt.timedelta(hours=1))


def test_a_window_longer_than_the_longest_preset_is_cut_to_it():
    picked = pick_range({"start": "2025-01-01T00:00Z", "end": "2026-12-03T00:00Z"}, NOW)

    assert picked.end - picked.start == dt.timedelta(days=30) and picked.key == "30d"


def test_an_end_in_the_future_stops_at_now():
    picked = pick_range({"start": "2026-12-03T11:00Z", "end": "2026-12-04T00:00Z"}, NOW)

    assert (picked.start, picked.end) == (NOW - dt.timedelta(hours=1), NOW)


def test_a_start_without_an_offset_is_in_the_pages_zone():
    with timezone.override("Asia/Tokyo"):
        picked = pick_range({"start": "2026-12-03 19:00", "end": "2026-12-03 20:00"}, NOW)

    assert picked.start == dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.UTC)
