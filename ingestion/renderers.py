"""Point answers as JSON or CSV: rendered whole (DRF renderers, for errors
and the browsable API) or streamed chunk by chunk (`points_json`,
`points_csv`, `table_json`, `table_csv`).

A streamed answer is written from rows as the reads (a few thousand rows
each) hand them over, so a worker holds one chunk of a large answer at a
time, never the whole. It is byte for byte what DRF's JSONRenderer would write for the
same data: compact, UTF-8, datetimes as DRF writes them, non-finite
numbers as null.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Iterable, Iterator, Sequence

from rest_framework.renderers import BaseRenderer
from rest_framework.utils.encoders import JSONEncoder


class PointsCSVRenderer(BaseRenderer):
    """One row per point: series_id, key, ts, value (or per rolling row)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        if isinstance(data, dict) and "series" in data and isinstance(data["series"], list):
            writer.writerow(["series_id", "key", "ts", "value"])
            for series in data["series"]:
                for ts, value in series["points"]:
                    writer.writerow([series["id"], series["key"], ts, value])
        elif isinstance(data, dict) and "points" in data:
            columns = list(data["points"][0]) if data["points"] else ["ts"]
            writer.writerow(columns)
            writer.writerows([row.get(c) for c in columns] for row in data["points"])
        elif isinstance(data, dict) and "parameter" in data:  # a bad parameter: its message, and its name
            writer.writerow(["error", "parameter"])
            writer.writerow([data.get("detail", ""), data["parameter"]])
        else:  # an error: keep its message readable
            writer.writerow(["error"])
            writer.writerow([data.get("detail", data) if isinstance(data, dict) else data])
        return out.getvalue().encode()


def dumps(value) -> str:
    """JSON text as DRF's JSONRenderer writes it (compact, UTF-8, DRF's datetimes)."""
    text = json.dumps(value, cls=JSONEncoder, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    # As DRF does: these two are valid JSON but end a line in JavaScript.
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def number(value) -> str:
    """A float as JSON: null when it is missing, NaN or infinite (JSON has neither)."""
    return repr(float(value)) if value is not None and math.isfinite(value) else "null"


def points_json(
    head: dict, series: Sequence[dict], chunks: Iterable[Sequence[tuple]], tail: Callable[[], dict]
) -> Iterator[bytes]:
    """`{**head, "series": [...], **tail()}`: each of `series` (dicts in id
    order) with its `points` as [ts, value] pairs, from chunks of
    (series_id, ts, value) rows ordered by series id, then time.

    `tail` is called once every row is written (a page's `next` is known only then).
    """
    yield (dumps(head)[:-1] + ',"series":[').encode()
    writer = _SeriesWriter(series)
    for chunk in chunks:
        for series_id, ts, value in chunk:
            writer.point(series_id, ts, value)
        yield writer.take()
    writer.finish()
    yield writer.take() + ("]," + dumps(tail())[1:]).encode()


class _SeriesWriter:
    """Writes series objects and their points in order, opening each series
    (also one without points) as the rows reach it."""

    def __init__(self, series: Sequence[dict]):
        self.pending = iter(series)
        self.current: dict | None = None
        self.n_points = 0
        self.out: list[str] = []

    def point(self, series_id: int, ts, value) -> None:
        while self.current is None or self.current["id"] != series_id:
            series = next(self.pending, None)
            if series is None:
                raise ValueError(f"a row of series {series_id}, which was not asked for or is out of order")
            self._open(series)
        self.out.append(f'{"," if self.n_points else ""}["{ts.isoformat()}",{number(value)}]')
        self.n_points += 1

    def finish(self) -> None:
        for series in self.pending:
            self._open(series)
        if self.current is not None:
            self.out.append("]}")

    def take(self) -> bytes:
        text, self.out = "".join(self.out), []
        return text.encode()

    def _open(self, series: dict) -> None:
        fields = dumps({k: v for k, v in series.items() if k != "points"})[:-1]
        self.out.append(f'{"]}," if self.current is not None else ""}{fields},"points":[')
        self.current, self.n_points = series, 0


def points_csv(series: Sequence[dict], chunks: Iterable[Sequence[tuple]]) -> Iterator[bytes]:
    """series_id, key, ts, value: one CSV row per point, as PointsCSVRenderer writes them."""
    keys = {s["id"]: s["key"] for s in series}
    yield b"series_id,key,ts,value\n"
    for chunk in chunks:
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(
            (series_id, keys[series_id], ts.isoformat(), _csv_number(value)) for series_id, ts, value in chunk
        )
        yield out.getvalue().encode()


def table_json(head: dict, key: str, rows: Iterable[Sequence[dict]]) -> Iterator[bytes]:
    """`{**head, key: [row, ...]}` from chunks of rows (dicts of JSON-ready values)."""
    yield (dumps(head)[:-1] + f',"{key}":[').encode()
    separator = ""
    for chunk in rows:
        if chunk:
            yield (separator + ",".join(dumps(row) for row in chunk)).encode()
            separator = ","
    yield b"]}"


def table_csv(columns: Sequence[str], rows: Iterable[Sequence[dict]]) -> Iterator[bytes]:
    """One CSV row per row, with `columns` as the header, as PointsCSVRenderer writes them."""
    yield (",".join(columns) + "\n").encode()
    for chunk in rows:
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows([row.get(c) for c in columns] for row in chunk)
        yield out.getvalue().encode()


def _csv_number(value):
    return float(value) if value is not None and math.isfinite(value) else None
