"""Sentences about a limit: when the forecast reaches it, or what chance there is that it will.

"May reach" is said only with the probability that backs it: an interval
edge that touches the limit because the band widens with the horizon is a
small chance, not a forecast.
"""

from __future__ import annotations

from reports.builders.words import days, number, value_with_unit, when

SUMMARY_LINES = 5


def reaching_sentences(sections: list[dict], horizon_days: float) -> list[str]:
    """ "disk /data on db-1 fills in 4.2 days (95 % interval 3.1–6.0 days), around …", the most urgent few."""
    ranked = sorted((s for s in sections if s["crossing"]), key=lambda s: s["crossing"]["expected"])
    return [reaching_sentence(s, horizon_days) for s in ranked[:SUMMARY_LINES]]


def reaching_sentence(section: dict, horizon_days: float) -> str:
    crossing = section["crossing"]
    return (
        f"{section['name']} {_reaches(section)} in {days(crossing['days'])} "
        f"({interval_words(crossing, horizon_days)}), around {when(crossing['expected'])}."
    )


def interval_words(crossing: dict, horizon_days: float) -> str:
    """`95 % interval 2.8–3.1 days`, or `… 0.9 days to beyond the 14-day horizon`."""
    low, high = crossing["days_low"], crossing["days_high"]
    label = f"{crossing['level']:g} % interval"
    if low is not None and high is not None:
        return f"{label} {low:.1f}–{high:.1f} days"
    start = f"{low:.1f} days" if low is not None else "now"
    return f"{label} {start} to beyond the {number(horizon_days)}-day horizon"


def chance_sentences(sections: list[dict]) -> list[str]:
    """ "cpu on web-1 stays below 100 %: a chance of 2.5 % or more of reaching it by …"."""
    ranked = sorted((s for s in sections if s["chance"]), key=lambda s: s["chance"]["at"])
    return [chance_sentence(s) for s in ranked[:SUMMARY_LINES]]


def chance_sentence(section: dict) -> str:
    chance = section["chance"]
    return (
        f"{section['name']} stays below {limit_words(section)} in the forecast; the upper edge of its "
        f"{chance['level']:g} % interval reaches it around {when(chance['at'])}: a chance of "
        f"{chance['percent']:g} % or more that it does by then."
    )


def limit_words(section: dict) -> str:
    return value_with_unit(section["threshold"], section["unit"])


def _reaches(section: dict) -> str:
    upper = section["bounds"][1]
    if upper is not None and section["threshold"] == upper:
        return "fills"  # the limit is all there is: 100 % of a disk, a capacity
    return f"reaches {limit_words(section)}"
