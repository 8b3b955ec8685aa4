"""The one duration grammar of tsmon: `90s`, `5m`, `1h`, `7d`, `2w`, or plain seconds (`300`).

The query API, detector and alert-rule parameters, the pages and the pure
algorithms (`analytics.algorithms`, which may import this module and no other
of tsmon's) all read durations here, so `300` means five minutes everywhere:
pandas would read it as 300 nanoseconds. Pure standard library, no Django.
"""

from __future__ import annotations

import datetime as dt
import math
import re

_SECONDS_PER_UNIT = {"us": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# As a regular expression the OpenAPI schema gives too (one definition):
# a decimal number of seconds or of a unit.
_DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)(us|ms|s|m|h|d|w)?")
DURATION_SYNTAX = _DURATION.pattern
_LONGEST_SECONDS = 3650 * 86400


class TimeRangeError(ValueError):
    """A time or duration parameter that cannot be read; the message names the parameter."""

    def __init__(self, parameter: str, message: str):
        self.parameter, self.reason = parameter, message
        super().__init__(f"{parameter}: {message}")


def parse_duration(text: str, parameter: str = "step") -> dt.timedelta:
    """Parse `90s`, `5m`, `1h`, `7d`, `2w` or plain seconds (`300`)."""
    text = text.strip()
    match = _DURATION.fullmatch(text)
    if not match:
        raise TimeRangeError(parameter, f"{text!r} is not a duration such as 30s, 5m, 1h, 7d")
    seconds = float(match.group(1)) * _SECONDS_PER_UNIT[match.group(2) or "s"]
    if not math.isfinite(seconds) or seconds <= 0 or seconds > _LONGEST_SECONDS:
        raise TimeRangeError(parameter, f"{text!r} must be a positive duration of at most 10 years")
    return dt.timedelta(seconds=seconds)


_FORMAT_UNITS = (("d", 86400), ("h", 3600), ("m", 60))


def format_seconds(seconds: int) -> str:
    """A whole number of seconds in the grammar parse_duration reads, in the
    largest whole unit: 300 -> `5m`, 5400 -> `90m`, 86400 -> `1d`, 45 -> `45s`."""
    if not seconds:
        return "0"
    return next(
        (f"{seconds // size}{unit}" for unit, size in _FORMAT_UNITS if seconds % size == 0), f"{seconds}s"
    )
