"""A report's content as a self-contained HTML page, and its tables as CSV.

The page carries its own CSS and its charts as inline SVG: no script, no
font, no image and no link is fetched, so it reads the same offline, from
an e-mail, or printed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math

from django.template.loader import render_to_string

from reports import charts
from tsmon.spreadsheet import quote_formula


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
        "tables": [
            {"name": name, "title": t["title"], "columns": t["columns"], "rows": [[_cell(c, v) for c, v in zip(t["columns"], row, strict=True)] for row in t["rows"]]}
            for name, t in content["tables"].items()
        ],
        "gaps": [{**g, "start": _time(g["start"]), "end": _time(g["end"]), "duration": _duration(g["duration_seconds"])} for g in content["data"]["gaps"]],
        "period_start": _time(content["period"]["start"]),
        "period_end": _time(content["period"]["end"]),
        "generated_at": _time(content["generated_at"]),
    }  # fmt: skip
    if kind == "forecast":
        extra["charts"] = [_forecast_chart(s) for s in content["series"]]
    elif kind == "capacity":
        extra["charts"] = [_forecast_chart(s) for s in content["reaching"]]
    elif kind == "anomaly":
        by_rank = {e["rank"]: e for e in content["events"]}
        extra["event_charts"] = [
            {
                **e,
                "svg": charts.event_chart(e),
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


def _forecast_chart(section: dict) -> dict:
    return {
        **section,
        "svg": charts.forecast_chart(section) if section["history"] else "",
        "ratio": section["skill"].get("ratio_to_seasonal_naive"),
        "crossing_text": _crossing_text(section["crossing"]),
        "horizon_rows": [
            {
                "horizon": h["horizon"],
                "at": _time(h["ts"]),
                "mean": _cell("mean", h.get("mean")),
                "i80": f"{_cell('lo', h.get('lo-80'))} – {_cell('hi', h.get('hi-80'))}",
                "i95": f"{_cell('lo', h.get('lo-95'))} – {_cell('hi', h.get('hi-95'))}",
            }
            for h in section["horizons"]
        ],
    }


def _crossing_text(crossing: dict | None) -> str:
    if not crossing or not crossing["expected"]:
        return ""
    high = f"{crossing['days_high']:.1f}" if crossing["days_high"] is not None else "beyond the horizon"
    low = f"{crossing['days_low']:.1f}" if crossing["days_low"] is not None else "?"
    return f"{crossing['days']:.1f} days ({low}–{high}, {crossing['level']:g} % interval), around {_time(crossing['expected'])}"


def _cell(column: str, value) -> str:
    if value is None:
        return "–"
    if column.endswith("_seconds") and isinstance(value, int | float):
        return _duration(value)
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, str) and len(value) >= 20 and value[4] == "-" and value[10] == "T":
        return _short_time(value)
    return str(value)


def _number(value: float) -> str:
    if not math.isfinite(value):
        return "–"
    if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-2):
        return f"{value:.3g}"
    return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.1f}"


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
