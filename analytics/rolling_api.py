"""The rolling statistics endpoint: `/api/v1/series/<id>/rolling`.

Rolling mean, std, variance and causal z-score of one series
(analytics.queries.rolling_statistics), streamed in JSON or CSV as the
points endpoint streams its answers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import get_object_or_404
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.views import APIView

from analytics.queries import TooManyPoints, rolling_statistics
from core.api_schema import (
    DURATION_PATTERN,
    DURATION_RULES,
    ERRORS,
    RANGE_PARAMETERS,
    TIME_PATTERN,
    ErrorSerializer,
    FormatNegotiation,
    format_parameter,
    in_every_format,
)
from core.durations import TimeRangeError, parse_duration
from core.numbers import finite_or_none
from core.query_params import bad_parameter, time_range
from core.scopes import ApiScope
from ingestion import queries, renderers
from ingestion.models import Series
from ingestion.query_api import BROWSABLE_MAX_POINTS, is_browsable, streamed_answer
from ingestion.query_serializers import RollingResponseSerializer, SeriesSerializer
from ingestion.renderers import PointsCSVRenderer

MIN_COUNT_WINDOW, MAX_COUNT_WINDOW = 2, 100_000  # points in a rolling window given as a count
MAX_ROLLING_POINTS = 200_000  # points read for one rolling request, the window's lookback included


class RollingView(APIView):
    """Rolling mean, std, variance and causal z-score of one series."""

    required_scope = ApiScope.READ
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, PointsCSVRenderer]
    content_negotiation_class = FormatNegotiation

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "window",
                str,
                pattern=DURATION_PATTERN,
                description=f"points (`60`: {MIN_COUNT_WINDOW} to {MAX_COUNT_WINDOW}) or a duration (`1h`, "
                f"{DURATION_RULES}); default `1h`",
            ),
            OpenApiParameter(
                "start",
                str,
                pattern=TIME_PATTERN,
                description="as for `/points`; at most 31 days before `end`, and at most "
                f"{MAX_ROLLING_POINTS} points with the window's lookback (beyond is a 400 naming `start`)",
            ),
            RANGE_PARAMETERS[1],
            format_parameter(renderer_classes),
        ],
        responses=in_every_format({200: RollingResponseSerializer, 404: ErrorSerializer, **ERRORS}),
    )
    def get(self, request, pk: int):
        series = get_object_or_404(Series.objects.select_related("source"), pk=pk)
        window_text = (request.query_params.get("window") or "1h").strip()
        window = _window(window_text)
        start, end = time_range(request)
        if end - start > dt.timedelta(days=31):
            raise bad_parameter("start", "rolling statistics cover at most 31 days per request")
        limit = BROWSABLE_MAX_POINTS if is_browsable(request) else MAX_ROLLING_POINTS
        try:
            table = rolling_statistics(series.pk, start, end, window, max_points=limit)
        except TooManyPoints:
            raise bad_parameter(
                "start",
                f"start: the range (with the window's lookback) holds more than {limit} points; shorten it"
                + ("" if limit == MAX_ROLLING_POINTS else ", or ask for format=json or format=csv"),
            ) from None
        rows = _rolling_rows(table)
        if request.accepted_renderer.format == "csv":
            return streamed_answer(request, renderers.table_csv(["ts", *table.columns], rows), close=_nothing)
        head = {"series": SeriesSerializer(series).data, "window": window_text}
        return streamed_answer(request, renderers.table_json(head, "points", rows), close=_nothing)


def _rolling_rows(table, chunk_rows: int = queries.CHUNK_ROWS) -> Iterator[list[dict]]:
    """The rolling table as chunks of {"ts": …, column: value or None} rows."""
    for first in range(0, len(table), chunk_rows):
        part = table.iloc[first : first + chunk_rows]
        columns = {name: part[name].to_numpy() for name in part.columns}
        yield [
            {"ts": ts.isoformat(), **{name: finite_or_none(values[i]) for name, values in columns.items()}}
            for i, ts in enumerate(part.index)
        ]


def _nothing() -> None:
    """Nothing to free: the rolling table is computed whole (and bounded) before it is sent."""


def _window(text: str) -> int | dt.timedelta:
    """A count of points (digits) or a duration, as the schema's pattern reads it
    (surrounding spaces included): the duration as parsed, for pandas reads
    neither spaces nor every unit tsmon does (` 25\t`, `300.5` were a 500)."""
    text = text.strip()
    if text.isascii() and text.isdigit():
        if not MIN_COUNT_WINDOW <= int(text) <= MAX_COUNT_WINDOW:
            raise bad_parameter(
                "window", f"a count window holds {MIN_COUNT_WINDOW} to {MAX_COUNT_WINDOW} points"
            )
        return int(text)
    try:
        return parse_duration(text, "window")
    except TimeRangeError as exc:
        raise bad_parameter("window", str(exc)) from None
