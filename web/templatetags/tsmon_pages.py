"""Template filters of the pages: numbers in their unit, durations, scores."""

from __future__ import annotations

import datetime as dt

from django import template

from web.charts_axes import format_value

register = template.Library()


@register.filter
def metric_value(value, unit: str = ""):
    """`9100000, "bytes"` -> `9.1M B`; None -> `–`."""
    return format_value(value, unit) if value is not None else "–"


@register.filter
def duration(value: dt.timedelta | None) -> str:
    """A short duration: `6 min`, `3 h 10 min`, `4 d 12 h`."""
    if value is None:
        return "–"
    minutes = int(value.total_seconds() // 60)
    days, hours, minutes = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{max(minutes, 1)} min"


@register.filter
def percent(value) -> int:
    """A score in [0, 1] as a whole percentage, for bar widths."""
    return 0 if value is None else max(0, min(100, round(float(value) * 100)))
