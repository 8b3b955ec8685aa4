"""The capacity report: resources whose forecast reaches their limit within N days, most urgent first."""

from __future__ import annotations

import datetime as dt

from reports.builders.coverage import describe_coverage
from reports.builders.forecast_sections import forecast_section
from reports.builders.input_types import ReportRequest, SeriesForecastInput
from reports.builders.limit_sentences import SUMMARY_LINES, chance_sentences, reaching_sentences
from reports.builders.outline import parse_iso, report, table

COLUMNS = [
    "rank", "series", "limit", "last_value", "expected_at", "earliest", "latest",
    "days_left", "days_left_low", "days_left_high", "level", "chance_percent", "verdict",
]  # fmt: skip
SHOWN = [
    "rank",
    "series",
    "limit",
    "last_value",
    "expected_at",
    "days_left",
    "days_left_low",
    "days_left_high",
    "verdict",
]


def build_capacity_report(request: ReportRequest, forecasts: list[SeriesForecastInput], coverage) -> dict:
    days = float(request.params.get("days", 14))
    limit = request.end + dt.timedelta(days=days)
    sections = [forecast_section(item, [], request.end) for item in forecasts]
    reaching = [s for s in sections if s["crossing"] and parse_iso(s["crossing"]["expected"]) <= limit]
    possible = [s for s in sections if s["chance"] and parse_iso(s["chance"]["at"]) <= limit]
    reaching.sort(key=lambda s: (s["crossing"]["expected"], s["crossing"]["earliest"] or ""))
    possible.sort(key=lambda s: (-s["chance"]["percent"], s["chance"]["at"]))
    summary = reaching_sentences(reaching, days)
    if not reaching:
        summary.append(f"No resource is expected to reach its limit within {days:g} days.")
    elif len(reaching) > SUMMARY_LINES:
        summary.append(
            f"{len(reaching) - SUMMARY_LINES} more resources reach their limit within {days:g} days."
        )
    summary += chance_sentences(possible)
    if len(possible) > SUMMARY_LINES:
        summary.append(f"{len(possible) - SUMMARY_LINES} more have such a chance; they are in the table.")
    checked = [s for s in sections if s["forecast"]]
    summary.append(f"{len(checked)} resources with a limit were forecast {days:g} days ahead.")
    rows = [_reaching_row(rank, s) for rank, s in enumerate(reaching, 1)]
    rows += [_chance_row(s) for s in possible]
    title = f"Resources reaching their limit within {days:g} days"
    tables = {"capacity": table(title, COLUMNS, rows, shown=SHOWN)}
    data = describe_coverage(coverage, request.start, request.end)
    return report(request, summary, data, tables, days=days, reaching=reaching, possible=possible)


def _last_value(section: dict):
    return next((v for _, v in reversed(section["history"]) if v is not None), None)


def _reaching_row(rank: int, section: dict) -> list:
    c = section["crossing"]
    return [
        rank, section["key"], section["threshold"], _last_value(section), c["expected"], c["earliest"],
        c["latest"], c["days"], c["days_low"], c["days_high"], c["level"], None, "expected",
    ]  # fmt: skip


def _chance_row(section: dict) -> list:
    c = section["chance"]
    return [
        None, section["key"], section["threshold"], _last_value(section), None, c["at"],
        None, None, c["days"], None, c["level"], c["percent"], f"chance ≥ {c['percent']:g} %",
    ]  # fmt: skip
