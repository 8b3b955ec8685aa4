"""What a report says, read back and checked against what is true.

A report's sentences are parsed here as a reader reads them (series names,
"from Fri 13 Nov 09:30 to 12:41 UTC"), not taken from the content they were
made from, so a test fails when the words are wrong even if the numbers
under them are right.
"""

from __future__ import annotations

import datetime as dt
import re

from reports.builders import SeriesInfo, describe_series

_WHEN = r"\w{3} \d{2} \w{3} \d{2}:\d{2}"
SPAN = re.compile(
    rf"(?:from|since) (?P<start>{_WHEN})(?: UTC)?(?: to (?P<end>(?:\w{{3}} \d{{2}} \w{{3}} )?\d{{2}}:\d{{2}}))?"
)
PERCENT = re.compile(r"(-?\d+(?:\.\d+)?) %(?! interval| or more)")


def truth_name(anomaly) -> str:
    """The words a report uses for the series an injected anomaly is in."""
    return describe_series(SeriesInfo("", anomaly.metric, anomaly.labels))


def sentences_about(summary: list[str], name: str) -> list[str]:
    """The summary's sentences whose subject is the series `name`."""
    return [s for s in summary if s.startswith(f"{name}:") or s.startswith(f"{name} ")]


def stated_spans(sentence: str, year: int, period_end: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    """Every "from A to B" (or "since A") in a sentence, as UTC datetimes."""
    spans = []
    for match in SPAN.finditer(sentence):
        start = _parse(match["start"], year)
        if match["end"] is None:
            end = period_end
        elif len(match["end"]) == 5:  # only a time: the start's day
            hour, minute = map(int, match["end"].split(":"))
            end = start.replace(hour=hour, minute=minute)
        else:
            end = _parse(match["end"], year)
        spans.append((start, end))
    return spans


def _parse(text: str, year: int) -> dt.datetime:
    return dt.datetime.strptime(f"{year} {text}", "%Y %a %d %b %H:%M").replace(tzinfo=dt.UTC)


def values_outside_bounds(content: dict) -> list[str]:
    """Every value a report states that its series cannot take (a percentage above 100)."""
    problems = []
    for section in content.get("series", []) + content.get("reaching", []) + content.get("possible", []):
        values = [v for _, v in section["history"]]
        values += [v for row in section["forecast"] for k, v in row.items() if k != "ts"]
        values += [
            v for row in section["horizons"] for k, v in row.items() if k not in ("horizon", "ts", "until")
        ]
        problems += _outside(section["key"], section["bounds"], values)
    for event in content.get("events", []):
        if event["chart"]:
            values = [v for row in event["chart"]["flagged"] for v in row[1:]]
            problems += _outside(
                event["key"], event["bounds"], values + [v for _, v in event["chart"]["context"]]
            )
    problems += _outside_in_tables(content)
    for sentence in content["summary"]:
        problems += [f"{sentence!r}: {v} %" for v in PERCENT.findall(sentence) if not 0 <= float(v) <= 100]
    return problems


def _outside_in_tables(content: dict) -> list[str]:
    bounds = {s["key"]: s["bounds"] for s in content.get("series", []) + content.get("reaching", [])}
    bounds.update({s["key"]: s["bounds"] for s in content.get("possible", [])})
    problems = []
    for name, table in content["tables"].items():
        columns = table["columns"]
        for row in table["rows"]:
            cells = dict(zip(columns, row, strict=True))
            if cells.get("series") not in bounds:
                continue
            value_columns = ("mean", "lo-80", "hi-80", "lo-95", "hi-95", "last_value", "limit")
            values = [cells[c] for c in value_columns if c in cells]
            problems += _outside(f"{name}: {cells['series']}", bounds[cells["series"]], values)
    return problems


def _outside(what: str, bounds, values) -> list[str]:
    lower, upper = bounds
    return [
        f"{what}: {v}"
        for v in values
        if v is not None and ((lower is not None and v < lower) or (upper is not None and v > upper))
    ]
