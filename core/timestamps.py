"""Timestamp units and text forms shared by the parsers.

Everything is converted to integer microseconds since the Unix epoch, UTC,
which is PostgreSQL's resolution. Finer input (nanoseconds) is truncated
towards the past, so two points less than a microsecond apart land on the same
timestamp and the later one counts as a duplicate.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

# How many microseconds one unit of each precision is worth. Nanoseconds are
# the one precision finer than storage; they are divided, the others multiplied.
PRECISIONS = ("ns", "us", "ms", "s")
_US_PER_UNIT = {"us": 1, "ms": 1_000, "s": 1_000_000}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)


def check_precision(precision: str) -> str:
    """Return `precision` if it is one of ns, us, ms, s, else raise ValueError."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r} is not one of {', '.join(PRECISIONS)}")
    return precision


def int_to_us(number: int, precision: str) -> int:
    """Convert an integer timestamp in `precision` units to microseconds."""
    if precision == "ns":
        return number // 1_000
    return number * _US_PER_UNIT[precision]


def number_to_us(number: float | int, precision: str) -> int:
    """Convert an int or float timestamp in `precision` units to microseconds.

    Raises ValueError for NaN or infinity.
    """
    if isinstance(number, int):
        return int_to_us(number, precision)
    if not math.isfinite(number):
        raise ValueError(f"timestamp {number!r} is not a finite number")
    if precision == "ns":
        return math.floor(number / 1_000)
    return round(number * _US_PER_UNIT[precision])


def iso_to_us(text: str) -> int:
    """Parse an ISO 8601 / RFC 3339 timestamp; one without an offset is UTC.

    Raises ValueError when `text` is not such a timestamp.
    """
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // _ONE_US


def us_to_iso(ts_us: int) -> str:
    """Format microseconds since the epoch as an RFC 3339 UTC timestamp."""
    try:
        return (_EPOCH + timedelta(microseconds=ts_us)).isoformat().replace("+00:00", "Z")
    except OverflowError:
        return f"{ts_us} µs since the epoch"
