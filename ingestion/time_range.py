"""Times and durations as query parameters: RFC 3339, epoch seconds, `now-1h`.

Pure: `now` is passed in. Errors are `TimeRangeError` with a message that
names the parameter, for a 400 that says what to fix.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from ingestion.parsers.timestamps import iso_to_us

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(us|ms|s|m|h|d|w)$")
_SECONDS_PER_UNIT = {"us": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_RELATIVE = re.compile(r"^now(?:\s*-\s*(.+))?$")
# Bounds that keep datetime arithmetic and PostgreSQL's timestamptz happy.
_EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_LATEST = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)


class TimeRangeError(ValueError):
    def __init__(self, parameter: str, message: str):
        self.parameter = parameter
        super().__init__(f"{parameter}: {message}")


def parse_duration(text: str, parameter: str = "step") -> dt.timedelta:
    """Parse `90s`, `5m`, `1h`, `7d`, `2w` or plain seconds (`300`)."""
    text = text.strip()
    try:
        seconds = float(text)
    except ValueError:
        match = _DURATION.match(text)
        if not match:
            raise TimeRangeError(parameter, f"{text!r} is not a duration such as 30s, 5m, 1h, 7d") from None
        seconds = float(match.group(1)) * _SECONDS_PER_UNIT[match.group(2)]
    if not math.isfinite(seconds) or seconds <= 0 or seconds > 3650 * 86400:
        raise TimeRangeError(parameter, f"{text!r} must be a positive duration of at most 10 years")
    return dt.timedelta(seconds=seconds)


def parse_time(text: str, now: dt.datetime, parameter: str = "start") -> dt.datetime:
    """Parse RFC 3339, epoch seconds, `now` or `now-<duration>` into an aware datetime."""
    text = text.strip()
    relative = _RELATIVE.match(text)
    if relative:
        ago = parse_duration(relative.group(1), parameter) if relative.group(1) else dt.timedelta(0)
        return _bounded(now - ago, text, parameter)
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = _EARLIEST + dt.timedelta(microseconds=iso_to_us(text))
        except (ValueError, OverflowError):
            raise TimeRangeError(
                parameter, f"{text!r} is not a time (RFC 3339, epoch seconds, or now-1h)"
            ) from None
        return _bounded(when, text, parameter)
    if not math.isfinite(seconds):
        raise TimeRangeError(parameter, f"{text!r} is not a finite number of seconds")
    try:
        return _bounded(_EARLIEST + dt.timedelta(seconds=seconds), text, parameter)
    except OverflowError:
        raise TimeRangeError(parameter, f"{text!r} is outside 1970–2200") from None


def _bounded(when: dt.datetime, text: str, parameter: str) -> dt.datetime:
    if not _EARLIEST <= when <= _LATEST:
        raise TimeRangeError(parameter, f"{text!r} is outside 1970–2200")
    return when


def parse_range(start: str | None, end: str | None, now: dt.datetime, default_span: dt.timedelta):
    """Return (start, end); `end` defaults to now and `start` to end − default_span."""
    end_at = parse_time(end, now, "end") if end else now
    start_at = parse_time(start, now, "start") if start else end_at - default_span
    if start_at >= end_at:
        raise TimeRangeError("start", "must be before end")
    return start_at, end_at
