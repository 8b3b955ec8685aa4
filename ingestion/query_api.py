"""The query API: series, labels, points and rolling statistics.

Views are thin: they parse parameters (a bad one is a 400 naming it), call
one function of `ingestion.queries` or `analytics.queries`, and return its
result.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
from collections.abc import Callable

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.pagination import CursorPagination
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from analytics.queries import rolling_statistics
from ingestion import queries
from ingestion.auth import ScopedByMethod
from ingestion.choices import ApiScope
from ingestion.models import Series
from ingestion.query_serializers import (
    ErrorSerializer,
    PointsResponseSerializer,
    RollingResponseSerializer,
    SeriesDetailSerializer,
    SeriesSerializer,
)
from ingestion.renderers import PointsCSVRenderer
from ingestion.selectors import SelectorError, parse_selector
from ingestion.series_deletion import delete_series
from ingestion.time_range import TimeRangeError, parse_duration, parse_range

DEFAULT_SPAN = dt.timedelta(hours=24)
DEFAULT_POINT_LIMIT = 10_000
MAX_POINT_LIMIT = 100_000
MAX_BUCKETS = 20_000  # per series: more is a client asking for raw points by accident
MAX_SERIES_PER_QUERY = 1_000

MATCH_PARAMETER = OpenApiParameter(
    "match", str, description='Series selector, e.g. `cpu_usage_percent{host=~"web-.*"}`'
)
RANGE_PARAMETERS = [
    OpenApiParameter("start", str, description="RFC 3339, epoch seconds or `now-1h` (default: end − 24h)"),
    OpenApiParameter("end", str, description="RFC 3339, epoch seconds or `now` (default: now)"),
]
AUTH_ERRORS = {401: ErrorSerializer, 403: ErrorSerializer, 429: ErrorSerializer}
ERRORS = {400: ErrorSerializer, **AUTH_ERRORS}
# DRF's answer to an invalid body: {"name": ["This field is required."]}; a
# nested field's messages come by key or index, as an object.
FIELD_ERRORS = OpenApiResponse(
    {
        "type": "object",
        "additionalProperties": {
            "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "object"}, {"type": "string"}]
        },
    },
    description='each invalid field with its messages, or {"detail": …} for a body that is not JSON',
)
BAD_PARAMETER_EXAMPLE = OpenApiExample(
    "a bad parameter",
    value={"detail": "step: 'fast' is not a duration such as 30s, 5m, 1h, 7d", "parameter": "step"},
    response_only=True,
    status_codes=["400"],
)
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


def bad_parameter(parameter: str, message: str) -> ValidationError:
    return ValidationError({"detail": message, "parameter": parameter})


def with_error_responses(serializer: type[Serializer]) -> Callable[[type], type]:
    """Class decorator: document each ModelViewSet action's answer with the
    errors it can give (invalid fields on writes, 404 for one object).

    Put it under any more specific `extend_schema_view`, which then wins.
    """
    one = {404: ErrorSerializer, **AUTH_ERRORS}
    responses = {
        "list": {200: serializer(many=True), **ERRORS},
        "create": {201: serializer, 400: FIELD_ERRORS, **AUTH_ERRORS},
        "retrieve": {200: serializer, **one},
        "update": {200: serializer, 400: FIELD_ERRORS, **one},
        "partial_update": {200: serializer, 400: FIELD_ERRORS, **one},
        "destroy": {204: None, **one},
    }

    def decorate(viewset: type) -> type:
        actions = {
            name: extend_schema(responses=r) for name, r in responses.items() if hasattr(viewset, name)
        }
        return extend_schema_view(**actions)(viewset)

    return decorate


class TimeCursorPagination(CursorPagination):
    """Cursor pages whose bad `cursor` is a 400 naming it, as for /points:
    not DRF's 404 for one that does not decode, nor a 500 for one whose
    position is not a time."""

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except (NotFound, DjangoValidationError):
            raise bad_parameter("cursor", "not a cursor from a previous page's `next`") from None


class FormatNegotiation(DefaultContentNegotiation):
    """An unknown `?format=` is a 400 naming the parameter, not DRF's bare 404."""

    def filter_renderers(self, renderers, format):
        known = [renderer for renderer in renderers if renderer.format == format]
        if not known:
            formats = ", ".join(renderer.format for renderer in renderers)
            raise bad_parameter("format", f"{format!r} is not one of {formats}")
        return known


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
        if not all(i.isdigit() for i in ids):
            raise bad_parameter("series", "series ids are whole numbers")
        queryset = queryset.filter(id__in=[int(i) for i in ids])
    return queryset


def time_range(request) -> tuple[dt.datetime, dt.datetime]:
    try:
        return parse_range(
            request.query_params.get("start"), request.query_params.get("end"), timezone.now(), DEFAULT_SPAN
        )
    except TimeRangeError as exc:
        raise bad_parameter(exc.parameter, str(exc)) from None


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
        return Response({"labels": queries.label_names(scope)})


class LabelValuesView(APIView):
    """Values one label takes (for pickers), optionally among selected series."""

    required_scope = ApiScope.READ

    @extend_schema(parameters=[MATCH_PARAMETER], responses={200: OpenApiTypes.OBJECT, **ERRORS})
    def get(self, request, name: str):
        scope = selected_series(request) if request.query_params.get("match") else None
        return Response({"label": name, "values": queries.label_values(name, scope)})


class PointsView(APIView):
    """Points of the selected series: raw (paginated) or downsampled with `step` and `agg`."""

    required_scope = ApiScope.READ
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, PointsCSVRenderer]
    content_negotiation_class = FormatNegotiation

    @extend_schema(
        parameters=[
            OpenApiParameter("series", int, many=True, description="series id (repeatable)"),
            MATCH_PARAMETER,
            *RANGE_PARAMETERS,
            OpenApiParameter(
                "step", str, description="bucket length (`5m`, `1h`, seconds); omit for raw points"
            ),
            OpenApiParameter("agg", str, enum=sorted(queries.AGGREGATES), description="aggregate per bucket"),
            OpenApiParameter("limit", int, description=f"raw points per page (max {MAX_POINT_LIMIT})"),
            OpenApiParameter("cursor", str, description="from the previous page's `next`"),
            OpenApiParameter("format", str, enum=["json", "csv"]),
        ],
        responses={200: PointsResponseSerializer, **ERRORS},
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
        if params.get("step"):
            return Response(self._downsampled(series, start, end))
        return Response(self._raw(series, start, end))

    def _downsampled(self, series, start, end) -> dict:
        params = self.request.query_params
        try:
            step = parse_duration(params["step"], "step")
        except TimeRangeError as exc:
            raise bad_parameter("step", str(exc)) from None
        agg = params.get("agg", "mean")
        if agg not in queries.AGGREGATES:
            raise bad_parameter("agg", f"{agg!r} is not one of {', '.join(sorted(queries.AGGREGATES))}")
        if (end - start) / step > MAX_BUCKETS:
            raise bad_parameter(
                "step", f"gives more than {MAX_BUCKETS} buckets per series; use a longer step"
            )
        rows = queries.downsample([s.pk for s in series], start, end, step, agg)
        return _points_payload(series, rows, start, end, params["step"], agg, next_url=None)

    def _raw(self, series, start, end) -> dict:
        limit = _limit(self.request.query_params.get("limit"))
        after = _decode_cursor(self.request.query_params.get("cursor"))
        rows = queries.read_points([s.pk for s in series], start, end, limit + 1, after)
        next_url = None
        if len(rows) > limit:
            rows = rows[:limit]
            cursor = _encode_cursor(rows[-1].series_id, rows[-1].ts)
            next_url = self.request.build_absolute_uri(_with_param(self.request, "cursor", cursor))
        return _points_payload(series, rows, start, end, None, None, next_url)


class RollingView(APIView):
    """Rolling mean, std, variance and causal z-score of one series."""

    required_scope = ApiScope.READ
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, PointsCSVRenderer]
    content_negotiation_class = FormatNegotiation

    @extend_schema(
        parameters=[
            OpenApiParameter("window", str, description="points (`60`) or a duration (`1h`); default `1h`"),
            *RANGE_PARAMETERS,
        ],
        responses={200: RollingResponseSerializer, 404: ErrorSerializer, **ERRORS},
    )
    def get(self, request, pk: int):
        series = get_object_or_404(Series.objects.select_related("source"), pk=pk)
        window = _window(request.query_params.get("window", "1h"))
        start, end = time_range(request)
        if end - start > dt.timedelta(days=31):
            raise bad_parameter("start", "rolling statistics cover at most 31 days per request")
        table = rolling_statistics(series.pk, start, end, window)
        points = [
            {"ts": ts.isoformat(), **{k: _finite(v) for k, v in row.items()}}
            for ts, row in zip(table.index, table.to_dict("records"), strict=True)
        ]
        return Response({"series": SeriesSerializer(series).data, "window": str(window), "points": points})


def _window(text: str) -> int | str:
    if text.isdigit():
        if not 2 <= int(text) <= 100_000:
            raise bad_parameter("window", "a count window holds 2 to 100000 points")
        return int(text)
    try:
        parse_duration(text, "window")
    except TimeRangeError as exc:
        raise bad_parameter("window", str(exc)) from None
    return text


def _finite(value: float) -> float | None:
    # JSON has no NaN or infinity; null means "not defined here".
    return float(value) if value is not None and math.isfinite(value) else None


def _limit(text: str | None) -> int:
    if text is None:
        return DEFAULT_POINT_LIMIT
    if not text.isdigit() or not 1 <= int(text) <= MAX_POINT_LIMIT:
        raise bad_parameter("limit", f"must be a whole number from 1 to {MAX_POINT_LIMIT}")
    return int(text)


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


def _points_payload(series, rows, start, end, step, agg, next_url) -> dict:
    by_id = {s.pk: [] for s in series}
    for row in rows:
        by_id[row.series_id].append([row.ts.isoformat(), _finite(row.value)])
    return {
        "start": start,
        "end": end,
        "step": step,
        "agg": agg,
        "series": [
            {"id": s.pk, "key": s.key, "metric": s.metric, "labels": s.labels, "points": by_id[s.pk]}
            for s in series
        ],
        "next": next_url,
    }
