"""The time range of a page: a preset span (`range=6h`) ending now or at `end`,
or, with `start` and `end` both given (a chart's drag-to-zoom), that window.

A page without `end` follows the present (and refreshes itself); with `end`
it shows a fixed window of the past, as Grafana's time picker does. Times
without an offset are in the zone the page is drawn in: the person's on
the pages that follow it (core.time_zones), else the site's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

RANGES = {
    "1h": dt.timedelta(hours=1),
    "6h": dt.timedelta(hours=6),
    "24h": dt.timedelta(hours=24),
    "3d": dt.timedelta(days=3),
    "7d": dt.timedelta(days=7),
    "14d": dt.timedelta(days=14),
    "30d": dt.timedelta(days=30),
}


@dataclass(frozen=True)
class PickedRange:
    key: str
    start: dt.datetime
    end: dt.datetime
    following: bool  # no `end` given: the window ends now and moves on
    end_text: str  # the `end` as the form's field shows it: `YYYY-MM-DD HH:MM` in the page's zone
    error: str = ""
    custom: bool = False  # `start` given too (a chart's drag-to-zoom): `key` is the preset that covers it


def pick_range(params, now: dt.datetime, default: str = "24h") -> PickedRange:
    """Read `range` and `end` from query parameters; unknown values fall back to the default."""
    key = params.get("range") if params.get("range") in RANGES else default
    span = RANGES[key]
    text = (params.get("end") or "").strip()
    if not text:
        return PickedRange(key, now - span, now, True, "")
    try:
        end = parse_local(text)
    except ValueError:
        return PickedRange(key, now - span, now, True, "", error=f"{text!r} is not a date and time")
    end = min(end, now)
    if start := _custom_start(params, end):
        covering = next((k for k, s in RANGES.items() if s >= end - start), key)
        return PickedRange(covering, start, end, False, local_input(end), custom=True)
    return PickedRange(key, end - span, end, False, local_input(end))


def _custom_start(params, end: dt.datetime) -> dt.datetime | None:
    """`start` when it is a time before `end`, at most the longest preset before it."""
    try:
        start = parse_local((params.get("start") or "").strip())
    except ValueError:
        return None
    if start >= end:
        return None
    return max(start, end - max(RANGES.values()))


def parse_local(text: str) -> dt.datetime:
    """An ISO date-time; without an offset it is in the page's time zone (the active one)."""
    when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.get_current_timezone())
    return when.astimezone(dt.UTC)


def local_input(when: dt.datetime) -> str:
    """`when` in the page's time zone, as the "Ending at" field shows it.

    A text field, not `datetime-local`: browsers show that in their own
    locale (a US one as 12-hour with AM/PM) and name no zone, while this
    page's times are in the zone named beside the field.
    """
    return timezone.localtime(when).strftime("%Y-%m-%d %H:%M")


def range_around(start: dt.datetime, end: dt.datetime, now: dt.datetime) -> dict[str, str]:
    """Query parameters of the smallest preset window that shows [start, end] with context."""
    duration = max(end - start, dt.timedelta(minutes=1))
    key = next((k for k, span in RANGES.items() if span >= 3 * duration), "30d")
    span = RANGES[key]
    window_end = start + span * 2 / 3
    if window_end >= now:
        return {"range": key}
    # With its offset: the page linked to may be drawn in another zone than this one.
    return {"range": key, "end": timezone.localtime(window_end).isoformat(timespec="minutes")}
