"""The rule preview's timeline: one strip per series, its firings as bars.

Positions are in a 0-1000 wide box (the SVG's viewBox), so the template only
draws rectangles; a firing shorter than a pixel still shows as one.
"""

from __future__ import annotations

from dataclasses import dataclass

from alerts.rule_preview import Firing, Preview

WIDTH = 1000
MIN_WIDTH = 2


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    firing: Firing  # the template words its title, in the person's time zone


@dataclass(frozen=True)
class Strip:
    key: str
    series_id: int
    bars: list[Bar]


def firing_strips(preview: Preview) -> list[Strip]:
    """A strip for each series that would have fired, in the order of their first firing."""
    span = (preview.end - preview.start).total_seconds()
    by_series: dict[int, Strip] = {}
    for firing in preview.firings:
        until = firing.resolved_at or preview.end
        x = (firing.fired_at - preview.start).total_seconds() / span * WIDTH
        width = max(MIN_WIDTH, (until - firing.fired_at).total_seconds() / span * WIDTH)
        strip = by_series.setdefault(firing.series.pk, Strip(firing.series.key, firing.series.pk, []))
        strip.bars.append(Bar(round(x, 1), round(min(width, WIDTH - x), 1), firing))
    return list(by_series.values())
