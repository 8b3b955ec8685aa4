"""The time a panel shows: its own range (`now-24h`, tsmon's time grammar),
or the span and end a dashboard view gives every panel from its query string.

A panel's range is a start relative to now, as the API's `start=now-24h`
reads it (core.time_range), so a saved dashboard always shows the
latest data. A view may override it, as the time picker of the other pages
does (web.time_picker): `range=6h` gives every panel that span, and
`end=2026-12-01 12:00` (in the page's time zone, or with an offset) fixes
where the window ends. A view with `end` is a fixed window: its URL shows
the same data whenever it is opened (a permalink).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils import timezone

from core.durations import DURATION_SYNTAX, parse_duration
from core.time_range import TimeRangeError, parse_time
from web.time_picker import local_input, parse_local

MAX_SPAN = dt.timedelta(days=366)
RANGE_SYNTAX = rf"now\s*-\s*(?:{DURATION_SYNTAX})"
DEFAULT_RANGE = "now-24h"


def parse_panel_range(text: str, parameter: str = "range") -> dt.timedelta:
    """The span of a panel's range `now-<duration>`, or TimeRangeError naming `parameter`."""
    text = text.strip()
    if not re.fullmatch(RANGE_SYNTAX, text):
        raise TimeRangeError(parameter, f"{text!r} is not a range such as now-24h or now-7d")
    now = timezone.now()
    span = now - parse_time(text, now, parameter)
    return _bounded(span, text, parameter)


def parse_span(text: str, parameter: str = "range") -> dt.timedelta:
    """A view's `range=6h`: a duration of at most MAX_SPAN, or TimeRangeError naming `parameter`."""
    return _bounded(parse_duration(text, parameter), text.strip(), parameter)


def _bounded(span: dt.timedelta, text: str, parameter: str) -> dt.timedelta:
    if span > MAX_SPAN:
        raise TimeRangeError(parameter, f"{text!r} is longer than {MAX_SPAN.days} days")
    return span


@dataclass(frozen=True)
class ViewRange:
    """What a dashboard view's query string says of time: one span for every
    panel (else each its own), and where the window ends (else now)."""

    span: dt.timedelta | None = None
    span_text: str = ""
    end: dt.datetime | None = None
    errors: tuple[str, ...] = ()

    @property
    def following(self) -> bool:
        """No end given: the window ends now and moves on."""
        return self.end is None

    @property
    def end_text(self) -> str:
        """The end as the "Ending at" field shows it, in the page's zone."""
        return local_input(self.end) if self.end else ""

    def window(self, panel_span: dt.timedelta, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) of a panel whose own span is `panel_span`, in this view."""
        end = self.end or now
        return end - (self.span or panel_span), end

    def query(self) -> dict[str, str]:
        """The query parameters of this view (for links that keep it)."""
        query = {"range": self.span_text} if self.span else {}
        return query | ({"end": _with_offset(self.end)} if self.end else {})

    def pinned(self, now: dt.datetime) -> dict[str, str]:
        """The query parameters of this view with its end fixed: a window that stays as it is shown now."""
        return ViewRange(self.span, self.span_text, self.end or now).query()


def view_range(params, now: dt.datetime) -> ViewRange:
    """Read `range` and `end`; a bad one is left out and named in `errors`."""
    span, span_text, end, errors = None, "", None, []
    if text := (params.get("range") or "").strip():
        try:
            span, span_text = parse_span(text), text
        except TimeRangeError as exc:
            errors.append(str(exc))
    if text := (params.get("end") or "").strip():
        try:
            end = min(parse_local(text), now)
        except ValueError:
            errors.append(f"end: {text!r} is not a date and time")
    return ViewRange(span, span_text, end, tuple(errors))


def _with_offset(when: dt.datetime) -> str:
    # With its offset, to the second: the link means the same window in any zone.
    return timezone.localtime(when).isoformat(timespec="seconds")
