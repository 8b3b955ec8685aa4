import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.durations import parse_duration
from core.time_range import TimeRangeError, parse_range, parse_time

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)


def test_it_reads_rfc3339_epoch_seconds_and_relative_times():
    assert parse_time("2026-11-20T10:00:00Z", NOW) == dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)
    assert parse_time("2026-11-20T12:00:00+02:00", NOW) == dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)
    assert parse_time("1795262400", NOW) == dt.datetime(2026, 11, 21, 12, tzinfo=dt.UTC)
    assert parse_time("now", NOW) == NOW
    assert parse_time("now-90m", NOW) == NOW - dt.timedelta(minutes=90)


def test_durations_take_units_or_plain_seconds():
    assert parse_duration("5m") == dt.timedelta(minutes=5)
    assert parse_duration("1.5h") == dt.timedelta(minutes=90)
    assert parse_duration("300") == dt.timedelta(seconds=300)
    assert parse_duration("2w") == dt.timedelta(days=14)


@pytest.mark.parametrize("text", ["yesterday", "0", "-5m", "5 minutes", "nan", "1e400"])
def test_a_bad_duration_names_the_parameter(text):
    with pytest.raises(TimeRangeError, match="^step: "):
        parse_duration(text)


def test_a_range_defaults_to_the_span_before_now_and_must_be_ordered():
    assert parse_range(None, None, NOW, dt.timedelta(hours=1)) == (NOW - dt.timedelta(hours=1), NOW)
    with pytest.raises(TimeRangeError, match="start: must be before end"):
        parse_range("now", "now-1h", NOW, dt.timedelta(hours=1))
    with pytest.raises(TimeRangeError, match="outside 1970"):
        parse_time("99999999999999", NOW, "end")


@given(st.text(max_size=60))
def test_any_text_is_a_time_or_a_time_range_error(text):
    try:
        parse_time(text, NOW)
    except TimeRangeError:
        pass
