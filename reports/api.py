"""The reports API: request a report, follow its progress, list, read and download it.

A POST stores a pending report and answers 202 at once; the scheduler (or a
Celery worker) makes it, and `status` / `progress` say how far it got. A
requester with too many reports still pending or running gets 429
(reports.request_limits).
"""

from __future__ import annotations

import json

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from core.api_schema import (
    AUTH_ERRORS,
    ERRORS,
    FIELD_ERRORS,
    TIME_PATTERN,
    ErrorSerializer,
    with_error_responses,
)
from core.pagination import TimeCursorPagination
from core.query_params import bad_parameter
from core.scopes import ScopedByMethod
from core.time_range import TimeRangeError, parse_time
from reports.builders import TABLES
from reports.choices import ReportKind, ReportStatus
from reports.models import Report
from reports.rendering import table_csv
from reports.request_limits import ReportQueueFull, request_report_within_limits
from reports.serializers import ReportSerializer

LIST_FILTERS = [
    OpenApiParameter("kind", str, enum=ReportKind.values),
    OpenApiParameter("scope", str, description="text the report's selector contains; empty: any"),
    OpenApiParameter("status", str, enum=ReportStatus.values),
    OpenApiParameter(
        "since",
        str,
        pattern=TIME_PATTERN,
        description="reports whose data ends at or after this (RFC 3339, epoch seconds, now-7d; empty: "
        "any); a date that does not exist or lies outside 1970–2200 is a 400 naming it",
    ),
    OpenApiParameter(
        "until", str, pattern=TIME_PATTERN, description="reports whose data ends before this; as `since`"
    ),
]
TABLE_NAMES = sorted({name for tables in TABLES.values() for name in tables})
DOWNLOAD_ERRORS = {404: ErrorSerializer, 409: ErrorSerializer, **AUTH_ERRORS}


class NotReady(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "not_ready"


class TooManyReports(APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "too_many_reports"

    def __init__(self, exc: ReportQueueFull):
        super().__init__(str(exc))
        self.wait = exc.retry_after_seconds  # DRF sends it as Retry-After


class NewestFirst(TimeCursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50
    max_page_size = 500
    page_size_query_param = "limit"


@extend_schema_view(
    list=extend_schema(parameters=LIST_FILTERS, responses={200: ReportSerializer(many=True), **ERRORS}),
    create=extend_schema(
        responses={202: ReportSerializer, 400: FIELD_ERRORS, 429: ErrorSerializer, **AUTH_ERRORS}
    ),
)
@with_error_responses(ReportSerializer)
class ReportViewSet(
    ScopedByMethod,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Reports: request one (admin), list and filter them, read one, download it as HTML, JSON or CSV."""

    serializer_class = ReportSerializer
    pagination_class = NewestFirst

    def get_queryset(self):
        queryset = Report.objects.defer("content", "html")
        if self.action != "list":
            return queryset
        return filter_reports(self.request.query_params, queryset)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = serializer.validated_data
        try:
            report = request_report_within_limits(
                requested_by=getattr(request.user, "username", ""),
                kind=fields["kind"],
                end=fields["period_end"],
                start=fields.get("period_start"),
                selector=fields.get("selector", ""),
                params=fields.get("params", {}),
                title=fields.get("title", ""),
            )
        except ReportQueueFull as exc:
            raise TooManyReports(exc) from None
        return Response(self.get_serializer(report).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={(200, "text/html"): OpenApiResponse(OpenApiTypes.STR), **DOWNLOAD_ERRORS})
    @action(detail=True, methods=["get"])
    def html(self, request, pk=None):
        report = self._finished()
        return _download(report.html, "text/html; charset=utf-8", f"report-{report.pk}.html")

    @extend_schema(responses={(200, "application/json"): OpenApiTypes.OBJECT, **DOWNLOAD_ERRORS})
    @action(detail=True, methods=["get"], url_path="json")
    def json_content(self, request, pk=None):
        report = self._finished()
        return _download(json.dumps(report.content, indent=1), "application/json", f"report-{report.pk}.json")

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "table",
                str,
                enum=TABLE_NAMES,
                description="table name (default: the report's main table); which tables a report has "
                "depends on its kind (its `downloads` list them): another is a 400 naming `table`",
            )
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR),
            400: ErrorSerializer,
            **DOWNLOAD_ERRORS,
        },
    )
    @action(detail=True, methods=["get"])
    def csv(self, request, pk=None):
        report = self._finished()
        tables = report.content["tables"]
        name = request.query_params.get("table", next(iter(tables)))
        if name not in tables:
            raise bad_parameter("table", f"{name!r} is not one of {', '.join(tables)}")
        return _download(
            table_csv(report.content, name), "text/csv; charset=utf-8", f"report-{report.pk}-{name}.csv"
        )

    def _finished(self) -> Report:
        report = self.get_object()
        if report.status != ReportStatus.DONE:
            raise NotReady(
                f"report {report.pk} is {report.status} ({report.progress} %): nothing to download yet"
            )
        # The deferred columns, read only for the one report being downloaded.
        report.refresh_from_db(fields=["content", "html"])
        return report


def filter_reports(params, queryset, empty_is_any: bool = False):
    """Reports by kind, status, scope text and the time their data ends (shared with the pages,
    whose form sends an empty kind for "any"; in the API an empty `kind` or `status` is no choice)."""
    if empty_is_any:
        params = {name: value for name, value in params.items() if value}
    if "kind" in params:
        if params["kind"] not in ReportKind.values:
            raise bad_parameter("kind", f"must be one of {', '.join(ReportKind.values)}")
        queryset = queryset.filter(kind=params["kind"])
    if "status" in params:
        if params["status"] not in ReportStatus.values:
            raise bad_parameter("status", f"must be one of {', '.join(ReportStatus.values)}")
        queryset = queryset.filter(status=params["status"])
    if params.get("scope"):
        queryset = queryset.filter(selector__icontains=params["scope"])
    for name, lookup in (("since", "period_end__gte"), ("until", "period_end__lt")):
        if params.get(name):
            try:
                queryset = queryset.filter(**{lookup: parse_time(params[name], timezone.now(), name)})
            except TimeRangeError as exc:
                raise bad_parameter(name, str(exc)) from None
    return queryset


def _download(body: str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
