"""A report's content as a self-contained HTML page, and its tables as CSV.

The page carries its own CSS and its charts as inline SVG: no script, no
font, no image and no link is fetched, so it reads the same offline, from
an e-mail, or printed.

The template, `reports/report.html`, is the web app's (web/templates/):
it draws the charts from this content with the pages' own chart renderer
(web.templatetags.report_charts), so this module, below the web app,
names it only by its name and never imports it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.template.loader import render_to_string

from core.spreadsheet import quote_formula
from reports.builders import words


def render_html(content: dict) -> str:
    """The whole report as one HTML document."""
    return render_to_string("reports/report.html", {"report": content, **_display(content)})


def table_csv(content: dict, name: str) -> str:
    """One table of the report as CSV, with a header row; KeyError if there is no such table."""
    table = content["tables"][name]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table["columns"])
    for row in table["rows"]:
        writer.writerow([_csv_cell(v) for v in row])
    return buffer.getvalue()


def _csv_cell(value):
    return "" if value is None else quote_formula(value)


def _display(content: dict) -> dict:
    kind = content["kind"]
    extra = {
        "tables": [_shown_table(name, t) for name, t in content["tables"].items()],
        "gaps": [{**g, "start": _time(g["start"]), "end": _time(g["end"]), "duration": _duration(g["duration_seconds"])} for g in content["data"]["gaps"]],
        "period_start": _time(content["period"]["start"]),
        "period_end": _time(content["period"]["end"]),
        "generated_at": _time(content["generated_at"]),
    }  # fmt: skip
    if kind == "forecast":
        extra["charts"] = [_forecast_chart(s) for s in content["series"]]
    elif kind == "capacity":
        extra["charts"] = [_forecast_chart(s) for s in content["reaching"]]
        extra["chances"] = [_forecast_chart(s) for s in content["possible"]]
    elif kind == "anomaly":
        by_rank = {e["rank"]: e for e in content["events"]}
        extra["event_charts"] = [
            {
                **e,
                "when": _time(e["start"]),
                "duration": _duration(e["duration_seconds"]),
            }
            for e in content["events"]
            if e["chart"]
        ]
        extra["groups"] = [
            {
                "host": g["host"] or "(no host)",
                "metrics": [
                    {
                        "metric": m["metric"],
                        "events": [
                            {**by_rank[r], "when": _short_time(by_rank[r]["start"])} for r in m["events"]
                        ],
                    }
                    for m in g["metrics"]
                ],
            }
            for g in content["groups"]
        ]
        extra["peer_outliers"] = [
            {**o, "from": _short_time(o["start"]), "to": _short_time(o["end"])} for o in content["peer_outliers"]
        ]  # fmt: skip
    return extra


# Columns whose long values (series keys) may break anywhere: the rest wrap at spaces only.
BREAKABLE = {"series", "rule"}


def _shown_table(name: str, table: dict) -> dict:
    """The columns of a table the page prints (the CSV has them all), formatted for reading."""
    shown = table.get("shown") or table["columns"]
    picks = [table["columns"].index(c) for c in shown]
    rows = [
        [{"text": _cell(shown[i], row[p]), "key": shown[i] in BREAKABLE} for i, p in enumerate(picks)]
        for row in table["rows"]
    ]
    return {
        "name": name,
        "title": table["title"],
        "columns": [c.replace("_", " ") for c in shown],
        "rows": rows,
    }


def _forecast_chart(section: dict) -> dict:
    return {
        **section,
        "ratio": section["skill"].get("ratio_to_seasonal_naive"),
        "crossing_text": _crossing_text(section["crossing"], section.get("horizon_end")),
        "limit_text": _value(section["threshold"], section["unit"]),
        "chance_at": _time(section["chance"]["at"]) if section.get("chance") else "",
        "horizon_rows": [
            {
                "horizon": h["horizon"],
                "at": f"{_time(h['ts'])[:-4]}–{_short_time(h['until'])[-5:]} UTC",
                "mean": _cell("mean", h.get("mean")),
                "i80": f"{_cell('lo', h.get('lo-80'))} – {_cell('hi', h.get('hi-80'))}",
                "i95": f"{_cell('lo', h.get('lo-95'))} – {_cell('hi', h.get('hi-95'))}",
            }
            for h in section["horizons"]
        ],
    }


def _crossing_text(crossing: dict | None, horizon_end: str | None) -> str:
    """`3.0 days (2.8–3.1, 95 % interval), around Thu 19 Nov 2026 06:00 UTC`."""
    if not crossing or not crossing["expected"]:
        return ""
    high = (
        f"{crossing['days_high']:.1f}"
        if crossing["days_high"] is not None
        else f"beyond {_short_time(horizon_end)}"
    )
    low = f"{crossing['days_low']:.1f}" if crossing["days_low"] is not None else "now"
    return f"{crossing['days']:.1f} days ({low}–{high}, {crossing['level']:g} % interval), around {_time(crossing['expected'])}"


def _cell(column: str, value) -> str:
    if value is None:
        return "–"
    if column.endswith("_seconds") and isinstance(value, int | float):
        return _duration(value)
    if isinstance(value, float):
        return words.number(value)
    if isinstance(value, str) and len(value) >= 20 and value[4] == "-" and value[10] == "T":
        return _short_time(value)
    return str(value)


def _value(value: float | None, unit: str) -> str:
    return "" if value is None else words.value_with_unit(value, unit)


def _time(text: str | None) -> str:
    if not text:
        return "–"
    return f"{dt.datetime.fromisoformat(text.replace('Z', '+00:00')):%a %d %b %Y %H:%M} UTC"


def _short_time(text: str) -> str:
    # Tables: the year and the zone are in the report's header.
    return f"{dt.datetime.fromisoformat(text.replace('Z', '+00:00')):%d %b %H:%M}"


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"
