"""Series, durations, times and values in the words a report's sentences use."""

from __future__ import annotations

import datetime as dt
import math

from core.durations import TimeRangeError, parse_duration
from reports.builders.outline import parse_iso

_METRIC_SUFFIXES = ("_used_percent", "_usage_percent", "_percent", "_bytes_per_second", "_seconds", "_total")
PERCENT_UNITS = {"%", "percent"}


def describe_series(series) -> str:
    """A series in words: `disk /var/lib/postgresql on db-1`, `cpu on web-1`."""
    name = series.metric
    for suffix in _METRIC_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            break
    words = [name.replace("_", " ")]
    others = {k: v for k, v in sorted(series.labels.items()) if k != "host"}
    if list(others) == ["mount"]:
        words.append(others["mount"])
    elif others:
        words.append("{" + ", ".join(f"{k}={v}" for k, v in others.items()) + "}")
    if series.labels.get("host"):
        words.append(f"on {series.labels['host']}")
    return " ".join(words)


def humanize_seconds(seconds: float) -> str:
    """`45 minutes`, `6.5 hours`, `4.2 days`."""
    if seconds < 90:
        return "1 minute"
    if seconds < 3600:
        return f"{seconds / 60:.0f} minutes"
    if seconds < 2 * 86400:
        hours = f"{seconds / 3600:.1f}"
        return "1 hour" if hours == "1.0" else f"{hours} hours"
    return f"{seconds / 86400:.1f} days"


def parse_horizon(text: str) -> dt.timedelta:
    """`6h`, `1d`, `2w`, `30m`, in tsmon's one duration grammar (core.durations), a minute or more;
    ValueError otherwise."""
    try:
        horizon = parse_duration(str(text), "horizon")
    except TimeRangeError as exc:
        raise ValueError(exc.reason) from None
    if horizon < dt.timedelta(minutes=1):
        raise ValueError(f"{text!r} is shorter than a minute, the shortest horizon")
    return horizon


def when(text: str) -> str:
    """`Thu 19 Nov 06:00 UTC`."""
    return f"{parse_iso(text):%a %d %b %H:%M} UTC"


def span(start: str, end: str) -> str:
    """`from Fri 13 Nov 09:30 to 12:41 UTC`, the second day only when it differs."""
    first, last = parse_iso(start), parse_iso(end)
    if first.date() == last.date():
        return f"from {first:%a %d %b %H:%M} to {last:%H:%M} UTC"
    return f"from {first:%a %d %b %H:%M} to {last:%a %d %b %H:%M} UTC"


def days(value: float | None) -> str:
    return f"{value:.1f} days"


def value_with_unit(value: float, unit: str) -> str:
    """`100 %`, `0.25 seconds`, `3.2e+09 bytes`."""
    if unit.strip().lower() in PERCENT_UNITS:
        return f"{number(value)} %"
    return f"{number(value)} {unit}".strip()


def number(value: float) -> str:
    """A value as a sentence or a table cell shows it: `92.4`, `0.0831`, `1.2e+07`."""
    if not math.isfinite(value):
        return "–"
    if value == int(value) and abs(value) < 1e5:
        return f"{int(value)}"
    if abs(value) >= 1e5 or abs(value) < 1e-2:
        return f"{value:.3g}"
    return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.1f}"
