"""The query API: series, labels and points (rolling statistics are
analytics.rolling_api's, streamed by `streamed_answer` here).

Views are thin: they parse parameters (a bad one is a 400 naming it), call
one function of `ingestion.queries`, and return its result.

Points are streamed (JSON or CSV, written chunk by
chunk from reads of a few thousand rows each), and what one answer may hold is capped:
series per query, buckets per series, points per answer
(`TSMON_MAX_QUERY_POINTS`), raw points per page. The browsable API, which
renders an answer whole, takes small answers only.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
from collections.abc import Callable, Iterator

from django.conf import settings
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, viewsets
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_schema import (
    AUTH_ERRORS,
    BAD_PARAMETER_EXAMPLE,
    CURSOR_PARAMETER,
    DURATION_PATTERN,
    DURATION_RULES,
    ERRORS,
    MATCH_PARAMETER,
    MAX_ID,
    RANGE_PARAMETERS,
    ErrorSerializer,
    FormatNegotiation,
    format_parameter,
    ids_parameter,
    in_every_format,
    with_error_responses,
)
from core.durations import TimeRangeError, parse_duration
from core.query_params import bad_parameter, time_range, whole_number, whole_number_schema
from core.scopes import ApiScope, ScopedByMethod
from ingestion import label_queries, queries, renderers
from ingestion.models import Series
from ingestion.query_serializers import (
    PointsResponseSerializer,
    SeriesDetailSerializer,
    SeriesSerializer,
)
from ingestion.renderers import PointsCSVRenderer
from ingestion.selectors import SelectorError, parse_selector
from ingestion.series_deletion import delete_series

DEFAULT_POINT_LIMIT = 10_000
MAX_POINT_LIMIT = 100_000  # raw points per page
MAX_BUCKETS = 20_000  # per series: more is a client asking for raw points by accident
MAX_SERIES_PER_QUERY = 1_000
# The browsable API renders an answer whole (as an HTML page): small ones only.
BROWSABLE_MAX_POINTS = 10_000
STREAMED_FORMATS = ("json", "csv")


POINTS_EXAMPLE = OpenApiExample(
    "downsampled",
    value={
        "start": "2026-11-20T00:00:00Z",
        "end": "2026-11-21T00:00:00Z",
        "step": "1h",
        "agg": "mean",
        "series": [
            {
                "id": 7,
                "key": 'cpu_usage_percent{host="web-1"}',
                "metric": "cpu_usage_percent",
                "labels": {"host": "web-1"},
                "points": [["2026-11-20T00:00:00+00:00", 21.4], ["2026-11-20T01:00:00+00:00", 19.8]],
            }
        ],
        "next": None,
    },
    response_only=True,
    status_codes=["200"],
)


def selected_series(request, queryset: QuerySet | None = None) -> QuerySet:
    """Series chosen by `?match=` (selector), `?metric=`, `?source=` and `?series=` ids."""
    queryset = Series.objects.all() if queryset is None else queryset
    params = request.query_params
    if params.get("match"):
        try:
            queryset = queries.select_series(parse_selector(params["match"]), queryset)
        except SelectorError as exc:
            raise bad_parameter("match", str(exc)) from None
    if params.get("metric"):
        queryset = queryset.filter(metric=params["metric"])
    if params.get("source"):
        queryset = queryset.filter(source__name=params["source"])
    ids = params.getlist("series")
    if ids:
        queryset = queryset.filter(id__in=[whole_number(i, "series", 1, MAX_ID) for i in ids])
    return queryset


@extend_schema_view(
    list=extend_schema(
        parameters=[
            MATCH_PARAMETER,
            OpenApiParameter("metric", str),
            OpenApiParameter("source", str, description="host name"),
        ],
        responses={200: SeriesSerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(responses={200: SeriesDetailSerializer, 404: ErrorSerializer, **AUTH_ERRORS}),
)
@with_error_responses(SeriesSerializer)
class SeriesViewSet(
    ScopedByMethod,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Series: list and filter; read one with its point count; set unit,
    kind and capacity (admin); delete one with its points (admin)."""

    serializer_class = SeriesSerializer
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_queryset(self):
        queryset = Series.objects.select_related("source").order_by("key")
        return selected_series(self.request, queryset) if self.action == "list" else queryset

    def retrieve(self, request, *args, **kwargs):
        series = self.get_object()
        # Exact here; the stored first/last times (the list) follow within a minute.
        series.point_count, series.first_ts, series.last_ts = queries.point_stats(series.pk)
        return Response(SeriesDetailSerializer(series).data)

    def perform_destroy(self, instance):
        delete_series([instance.pk])


class LabelNamesView(APIView):
    """Names of the labels in use (for pickers), optionally among selected series."""

    required_scope = ApiScope.READ

    @extend_schema(parameters=[MATCH_PARAMETER], responses={200: OpenApiTypes.OBJECT, **ERRORS})
    def get(self, request):
        scope = selected_series(request) if request.query_params.get("match") else None
        return Response({"labels": label_queries.label_names(scope)})


class LabelValuesView(APIView):
    """Values one label takes (for pickers), optionally among selected series."""

    required_scope = ApiScope.READ

    @extend_schema(parameters=[MATCH_PARAMETER], responses={200: OpenApiTypes.OBJECT, **ERRORS})
    def get(self, request, name: str):
        scope = selected_series(request) if request.query_params.get("match") else None
        return Response({"label": name, "values": label_queries.label_values(name, scope)})


class PointsView(APIView):
    """Points of the selected series: raw (paginated) or downsampled with `step` and `agg`."""

    required_scope = ApiScope.READ
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, PointsCSVRenderer]
    content_negotiation_class = FormatNegotiation

    @extend_schema(
        parameters=[
            ids_parameter("series", "series id (repeatable)"),
            MATCH_PARAMETER,
            *RANGE_PARAMETERS,
            OpenApiParameter(
                "step",
                str,
                pattern=DURATION_PATTERN,
                description=(
                    f"bucket length (`5m`, `1h`, seconds), {DURATION_RULES}; omit for raw points. At most "
                    f"{MAX_BUCKETS} buckets per series, and series × buckets at most TSMON_MAX_QUERY_POINTS "
                    "(500,000 unless configured); beyond is a 400 naming `step`"
                ),
            ),
            OpenApiParameter(
                "agg", str, enum=sorted(queries.AGGREGATES), description="aggregate per bucket (default mean)"
            ),
            OpenApiParameter(
                "limit",
                whole_number_schema(1, MAX_POINT_LIMIT, default=DEFAULT_POINT_LIMIT),
                description=f"raw points per page (1 to {MAX_POINT_LIMIT}; beyond is a 400)",
            ),
            CURSOR_PARAMETER,
            format_parameter(renderer_classes),
        ],
        responses=in_every_format({200: PointsResponseSerializer, **ERRORS}),
        examples=[POINTS_EXAMPLE, BAD_PARAMETER_EXAMPLE],
    )
    def get(self, request):
        params = request.query_params
        if not (params.get("match") or params.getlist("series")):
            raise bad_parameter("match", "give a selector (match=) or series ids (series=)")
        series = list(selected_series(request).order_by("id")[: MAX_SERIES_PER_QUERY + 1])
        if len(series) > MAX_SERIES_PER_QUERY:
            raise bad_parameter("match", f"selects more than {MAX_SERIES_PER_QUERY} series; narrow it")
        start, end = time_range(request)
        if "agg" in params and params["agg"] not in queries.AGGREGATES:
            raise bad_parameter(
                "agg", f"{params['agg']!r} is not one of {', '.join(sorted(queries.AGGREGATES))}"
            )
        if params.get("step"):
            return self._downsampled(series, start, end)
        return self._raw(series, start, end)

    def _downsampled(self, series, start, end):
        params = self.request.query_params
        try:
            step = parse_duration(params["step"], "step")
        except TimeRangeError as exc:
            raise bad_parameter("step", str(exc)) from None
        agg = params.get("agg", "mean")
        buckets = math.ceil((end - start) / step)
        if buckets > MAX_BUCKETS:
            raise bad_parameter(
                "step", f"gives more than {MAX_BUCKETS} buckets per series; use a longer step"
            )
        _check_answer_size(self.request, len(series), buckets)
        rows = queries.stream_downsampled([s.pk for s in series], start, end, step, agg)
        head = {"start": start, "end": end, "step": params["step"], "agg": agg}
        return _points_answer(self.request, head, series, rows, tail=lambda: {"next": None})

    def _raw(self, series, start, end):
        params = self.request.query_params
        limit = DEFAULT_POINT_LIMIT
        if "limit" in params:
            limit = whole_number(params["limit"], "limit", 1, MAX_POINT_LIMIT)
        if is_browsable(self.request) and limit > BROWSABLE_MAX_POINTS:
            raise _too_large_to_browse("limit", limit)
        after = _decode_cursor(params.get("cursor"))
        page = _Page(queries.stream_points([s.pk for s in series], start, end, limit + 1, after), limit)

        def tail() -> dict:
            if not page.more:
                return {"next": None}
            cursor = _encode_cursor(*page.last[:2])
            return {"next": self.request.build_absolute_uri(_with_param(self.request, "cursor", cursor))}

        head = {"start": start, "end": end, "step": None, "agg": None}
        return _points_answer(self.request, head, series, page, tail)


class _Page:
    """The rows of a raw page, cut at `limit`: the query asks for one row
    more, so `more` says whether a next page exists, and `last` is where it begins."""

    def __init__(self, rows: queries.RowStream, limit: int):
        self.rows, self.limit = rows, limit
        self.more, self.last = False, None

    def __iter__(self) -> Iterator[list[tuple]]:
        kept = 0
        for chunk in self.rows:
            if kept + len(chunk) > self.limit:
                chunk, self.more = chunk[: self.limit - kept], True
            if chunk:
                kept += len(chunk)
                self.last = chunk[-1]
                yield chunk
            if self.more:
                return

    def close(self) -> None:
        self.rows.close()


def _check_answer_size(request, n_series: int, buckets: int) -> None:
    """At most TSMON_MAX_QUERY_POINTS points (series × buckets) in one answer."""
    n_points, limit = n_series * buckets, settings.TSMON_MAX_QUERY_POINTS
    if n_points > limit:
        raise bad_parameter(
            "step",
            f"step: {n_series} series × {buckets} buckets is {n_points} points, over the limit of {limit} "
            "per answer (TSMON_MAX_QUERY_POINTS); use a longer step, a shorter range or fewer series",
        )
    if is_browsable(request) and n_points > BROWSABLE_MAX_POINTS:
        raise _too_large_to_browse("step", n_points)


def is_browsable(request) -> bool:
    return request.accepted_renderer.format not in STREAMED_FORMATS


def _too_large_to_browse(parameter: str, n_points: int):
    return bad_parameter(
        parameter,
        f"{parameter}: the browsable API shows at most {BROWSABLE_MAX_POINTS} points, and this answer may "
        f"hold {n_points}; ask for less, or for format=json or format=csv",
    )


def _points_answer(request, head: dict, series, rows, tail: Callable[[], dict]):
    """The points of `series` from `rows` (a RowStream or a page of one), streamed."""
    described = [{"id": s.pk, "key": s.key, "metric": s.metric, "labels": s.labels} for s in series]
    if request.accepted_renderer.format == "csv":
        return streamed_answer(request, renderers.points_csv(described, rows), rows.close)
    return streamed_answer(request, renderers.points_json(head, described, rows, tail), rows.close)


def streamed_answer(request, body: Iterator[bytes], close: Callable[[], None]):
    """A streamed answer (the points and rolling endpoints') in the negotiated format; for the browsable API (small
    answers only) the same JSON, read back and rendered as its page."""
    if is_browsable(request):
        try:
            return Response(json.loads(b"".join(body)))
        finally:
            close()
    renderer = request.accepted_renderer
    content_type = (
        f"{renderer.media_type}; charset={renderer.charset}" if renderer.charset else renderer.media_type
    )
    return StreamingHttpResponse(_Body(body, close), content_type=content_type)


class _Body:
    """A response body that stops its reads when the response is closed,
    also when it was never read (Django calls `close` of the content)."""

    def __init__(self, pieces: Iterator[bytes], close: Callable[[], None]):
        self.pieces, self.close = pieces, close

    def __iter__(self) -> Iterator[bytes]:
        return self.pieces


def _encode_cursor(series_id: int, ts: dt.datetime) -> str:
    return base64.urlsafe_b64encode(f"{series_id}:{ts.isoformat()}".encode()).decode()


def _decode_cursor(text: str | None):
    if not text:
        return None
    try:
        series_id, ts = base64.urlsafe_b64decode(text.encode()).decode().split(":", 1)
        return int(series_id), dt.datetime.fromisoformat(ts)
    except ValueError:
        raise bad_parameter("cursor", "not a cursor from a previous page's `next`") from None


def _with_param(request, name: str, value: str) -> str:
    query = request.query_params.copy()
    query[name] = value
    return f"{request.path}?{query.urlencode()}"
