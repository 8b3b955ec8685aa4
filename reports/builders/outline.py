"""The outline every report shares, and the JSON shapes of its values.

    {"kind", "title", "generated_at", "period": {"start", "end"}, "scope",
     "summary": [plain sentences], "data": {what it rests on: series, points, gaps},
     "tables": {name: {"title", "columns", "rows", "shown"}}, ...kind-specific sections}

Times are ISO 8601 strings in UTC; numbers that are not finite become null.
A table's `shown` names the columns the HTML page prints (the CSV has them
all): a page must fit on paper, and the series key, host and metric of one
row say the same thing three times.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd


def report(request, summary: list[str], data: dict, tables: dict, **sections) -> dict:
    return {
        "kind": request.kind,
        "title": request.title or default_title(request),
        "generated_at": iso(dt.datetime.now(dt.UTC)),
        "period": {"start": iso(request.start), "end": iso(request.end)},
        "scope": request.scope or "every series",
        "params": request.params,
        "summary": summary,
        "data": data,
        "tables": tables,
        **sections,
    }


def default_title(request) -> str:
    scope = f" · {request.scope}" if request.scope else ""
    return f"{request.kind.capitalize()} report, {request.end:%a %d %b %Y %H:%M} UTC{scope}"


def table(title: str, columns: list[str], rows: list[list], shown: list[str] | None = None) -> dict:
    return {"title": title, "columns": columns, "rows": rows, "shown": shown or columns}


def points(y: pd.Series) -> list[list]:
    return [[iso(ts), finite(v)] for ts, v in y.items()]


def finite(value):
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def iso(when) -> str | None:
    if when is None:
        return None
    if isinstance(when, pd.Timestamp):
        when = when.to_pydatetime()
    return when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def parse_iso(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
