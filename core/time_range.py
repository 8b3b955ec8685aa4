"""Times as query parameters: RFC 3339, epoch seconds, `now-1h` (durations: core.durations).

Pure: `now` is passed in. Errors are `TimeRangeError` with a message that
names the parameter, for a 400 that says what to fix.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from core.durations import DURATION_SYNTAX, TimeRangeError, parse_duration
from core.timestamps import iso_to_us

# The grammar of a time, as a regular expression the OpenAPI schema gives too:
# `now`, `now-<duration>`, epoch seconds, or an RFC 3339 date or time.
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
