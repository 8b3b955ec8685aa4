"""Times and durations as query parameters: RFC 3339, epoch seconds, `now-1h`.

Pure: `now` is passed in. Errors are `TimeRangeError` with a message that
names the parameter, for a 400 that says what to fix.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from core.timestamps import iso_to_us

_SECONDS_PER_UNIT = {"us": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# The grammars, as regular expressions the OpenAPI schema gives too (one definition):
# a duration is a decimal number of seconds or of a unit; a time is `now`,
# `now-<duration>`, epoch seconds, or an RFC 3339 date or time.
_DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)(us|ms|s|m|h|d|w)?")
DURATION_SYNTAX = _DURATION.pattern
_ISO_SYNTAX = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[Tt ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?(?:Z|[+-][0-9]{2}:[0-9]{2})?)?"
)
TIME_SYNTAX = rf"now(?:\s*-\s*{DURATION_SYNTAX})?|[0-9]+(?:\.[0-9]+)?|{_ISO_SYNTAX}"
_TIME = re.compile(TIME_SYNTAX)
_RELATIVE = re.compile(r"^now(?:\s*-\s*(.+))?$")


def schema_pattern(syntax: str, empty: bool = False) -> str:
    """A parameter's `pattern`: `syntax` with the spaces the parsers strip (and the
    empty string, for a parameter where empty means "not given")."""
    body = rf"\s*(?:{syntax})\s*"
    return rf"^(?:{body})?$" if empty else rf"^{body}$"


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
    match = _DURATION.fullmatch(text)
    if not match:
        raise TimeRangeError(parameter, f"{text!r} is not a duration such as 30s, 5m, 1h, 7d")
    seconds = float(match.group(1)) * _SECONDS_PER_UNIT[match.group(2) or "s"]
    if not math.isfinite(seconds) or seconds <= 0 or seconds > 3650 * 86400:
        raise TimeRangeError(parameter, f"{text!r} must be a positive duration of at most 10 years")
    return dt.timedelta(seconds=seconds)


def parse_time(text: str, now: dt.datetime, parameter: str = "start") -> dt.datetime:
    """Parse RFC 3339, epoch seconds, `now` or `now-<duration>` into an aware datetime."""
    text = text.strip()
    if not _TIME.fullmatch(text):
        raise TimeRangeError(parameter, f"{text!r} is not a time (RFC 3339, epoch seconds, or now-1h)")
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


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def floor_time(when: dt.datetime, step: dt.timedelta) -> dt.datetime:
    """`when` rounded down to a whole number of `step`s since the epoch, as date_bin does."""
    return EPOCH + ((when - EPOCH) // step) * step


_FORMAT_UNITS = (("d", 86400), ("h", 3600), ("m", 60))


def format_seconds(seconds: int) -> str:
    """A whole number of seconds in the grammar parse_duration reads, in the
    largest whole unit: 300 -> `5m`, 5400 -> `90m`, 86400 -> `1d`, 45 -> `45s`."""
    if not seconds:
        return "0"
    return next(
        (f"{seconds // size}{unit}" for unit, size in _FORMAT_UNITS if seconds % size == 0), f"{seconds}s"
    )
