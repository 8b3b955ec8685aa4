"""Streamed point answers are byte for byte what the whole-answer renderers write.

/points and /rolling stream their JSON and CSV chunk by chunk
(ingestion.renderers); these tests hold the streamed text to what DRF's
JSONRenderer and PointsCSVRenderer write for the same data, chunks cut
anywhere, series without points anywhere. No database.
"""

from __future__ import annotations

import datetime as dt
import math

import pytest
from rest_framework.renderers import JSONRenderer

from ingestion import renderers
from ingestion.renderers import PointsCSVRenderer

T0 = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
SERIES = [
    {"id": 3, "key": 'cpu{host="web-1"}', "metric": "cpu", "labels": {"host": "web-1"}},
    {"id": 5, "key": 'cpu{host="wéb\u2028"}', "metric": "cpu", "labels": {"host": "wéb\u2028"}},
    {"id": 8, "key": 'cpu{host="\\"q\\","}', "metric": "cpu", "labels": {"host": '"q",'}},
    {"id": 9, "key": "up", "metric": "up", "labels": {}},
]
ROWS = [
    (3, T0, 1.5),
    (3, T0 + dt.timedelta(minutes=1, microseconds=250), math.nan),
    (8, T0, None),
    (8, T0 + dt.timedelta(minutes=1), math.inf),
    (8, T0 + dt.timedelta(minutes=2), -0.0),
    (8, T0 + dt.timedelta(minutes=3), 1e300),
]
HEAD = {"start": T0, "end": T0 + dt.timedelta(hours=1), "step": "1m", "agg": "mean"}


def whole_answer(rows, series=SERIES) -> dict:
    """The answer as the views used to build it, all at once."""
    points = {s["id"]: [] for s in series}
    for series_id, ts, value in rows:
        points[series_id].append(
            [ts.isoformat(), None if value is None or not math.isfinite(value) else value]
        )
    return {**HEAD, "series": [{**s, "points": points[s["id"]]} for s in series], "next": "http://x/?c=1"}


def chunked(rows, size: int) -> list[list[tuple]]:
    return [rows[i : i + size] for i in range(0, len(rows), size)]


@pytest.mark.parametrize("chunk_rows", [1, 2, 4, 100])
@pytest.mark.parametrize("rows", [ROWS, [], ROWS[2:3]], ids=["some", "none", "one"])
def test_streamed_json_is_what_drf_renders_whole(rows, chunk_rows):
    streamed = b"".join(
        renderers.points_json(HEAD, SERIES, chunked(rows, chunk_rows), lambda: {"next": "http://x/?c=1"})
    )

    assert streamed == JSONRenderer().render(whole_answer(rows))


def test_streamed_json_of_no_series_is_an_empty_list():
    streamed = b"".join(renderers.points_json(HEAD, [], [], lambda: {"next": None}))

    assert streamed == JSONRenderer().render({**HEAD, "series": [], "next": None})


def test_a_row_of_a_series_not_asked_for_is_a_loud_error():
    with pytest.raises(ValueError, match="series 4"):
        b"".join(renderers.points_json(HEAD, SERIES, [[(4, T0, 1.0)]], lambda: {}))


@pytest.mark.parametrize("chunk_rows", [1, 3, 100])
def test_streamed_csv_is_what_the_csv_renderer_writes_whole(chunk_rows):
    streamed = b"".join(renderers.points_csv(SERIES, chunked(ROWS, chunk_rows)))

    assert streamed == PointsCSVRenderer().render(whole_answer(ROWS))


TABLE_HEAD = {"series": {"id": 3}, "window": "1h"}
TABLE_ROWS = [
    {"ts": "2026-11-20T00:00:00+00:00", "value": 1.0, "mean": None},
    {"ts": "b", "value": 2.5, "mean": 1.0},
]


@pytest.mark.parametrize("chunks", [[TABLE_ROWS], [TABLE_ROWS[:1], [], TABLE_ROWS[1:]], []])
def test_a_streamed_table_is_what_drf_renders_whole(chunks):
    rows = [row for chunk in chunks for row in chunk]

    streamed = b"".join(renderers.table_json(TABLE_HEAD, "points", chunks))

    assert streamed == JSONRenderer().render({**TABLE_HEAD, "points": rows})


def test_a_streamed_table_as_csv_is_what_the_csv_renderer_writes_whole():
    streamed = b"".join(renderers.table_csv(["ts", "value", "mean"], [TABLE_ROWS[:1], TABLE_ROWS[1:]]))

    assert streamed == PointsCSVRenderer().render({"points": TABLE_ROWS})
