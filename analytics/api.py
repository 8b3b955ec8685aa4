"""The analytics API: detectors (CRUD), anomalies and anomaly events
(filtered, cursor-paginated by time), forecasts (stored or on demand) and
job runs."""

from __future__ import annotations

import datetime as dt

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import false_positives
from analytics.choices import AnomalyKind
from analytics.forecasting import NotEnoughData, forecast_series
from analytics.jobs import forecast_points
from analytics.models import Anomaly, AnomalyEvent, Detector, FalsePositive, Forecast
from analytics.serializers import (
    AnomalyEventSerializer,
    AnomalySerializer,
    DetectorSerializer,
    FalsePositiveSerializer,
    ForecastSerializer,
    JobRunSerializer,
    MarkFalsePositiveSerializer,
)
from core.api_schema import (
    AUTH_ERRORS,
    DURATION_PATTERN,
    ERRORS,
    FIELD_ERRORS,
    MATCH_PARAMETER,
    RANGE_PARAMETERS,
    ErrorSerializer,
    ids_parameter,
    with_error_responses,
)
from core.models import JobRun
from core.pagination import TimeCursorPagination
from core.query_params import bad_parameter, finite_number, time_range
from core.scopes import ApiScope, ScopedByMethod
from core.time_range import TimeRangeError, parse_duration
from ingestion.models import Series
from ingestion.query_api import selected_series

SERIES_FILTERS = [
    ids_parameter("series", "series id (repeatable)"),
    MATCH_PARAMETER,
    *RANGE_PARAMETERS,
    OpenApiParameter(
        "min_score",
        {"type": "number", "minimum": 0, "maximum": 1},
        description="only scores at or above this (0 to 1)",
    ),
    OpenApiParameter("detector", str, description="detector name; empty: any"),
    OpenApiParameter("kind", str, enum=AnomalyKind.values),
]
LEVELS = {"type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": 100, "exclusiveMaximum": True}
MAX_HORIZON, MAX_STEP, MAX_STEPS = dt.timedelta(days=90), dt.timedelta(days=1), 5000


class ByTime(TimeCursorPagination):
    ordering = ("ts", "id")
    page_size = 500
    max_page_size = 5000
    page_size_query_param = "limit"


class ByStart(TimeCursorPagination):
    ordering = ("-start", "-id")
    page_size = 100
    max_page_size = 1000
    page_size_query_param = "limit"


@with_error_responses(DetectorSerializer)
class DetectorViewSet(ScopedByMethod, viewsets.ModelViewSet):
    """Detectors: which series to watch and with which algorithm."""

    queryset = Detector.objects.order_by("name")
    serializer_class = DetectorSerializer


def filter_by_series_and_score(request, queryset):
    """The filters anomalies and events share: series, score, detector, kind."""
    params = request.query_params
    if any(params.get(p) for p in ("match", "metric", "source")) or params.getlist("series"):
        queryset = queryset.filter(series__in=selected_series(request))
    if "min_score" in params:
        min_score = finite_number(params["min_score"], "min_score")
        if not 0 <= min_score <= 1:
            raise bad_parameter("min_score", "must be a number from 0 to 1")
        queryset = (
            queryset.filter(score__gte=min_score)
            if queryset.model is Anomaly
            else queryset.filter(peak_score__gte=min_score)
        )
    if params.get("detector"):
        queryset = queryset.filter(detector__name=params["detector"])
    if "kind" in params:
        if params["kind"] not in AnomalyKind.values:
            raise bad_parameter("kind", f"must be one of {', '.join(AnomalyKind.values)}")
        queryset = queryset.filter(kind=params["kind"])
    return queryset


@extend_schema_view(
    list=extend_schema(parameters=SERIES_FILTERS, responses={200: AnomalySerializer(many=True), **ERRORS})
)
@with_error_responses(AnomalySerializer)
class AnomalyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Anomalous points, oldest first, with what was expected instead."""

    required_scope = ApiScope.READ
    serializer_class = AnomalySerializer
    pagination_class = ByTime

    def get_queryset(self):
        queryset = Anomaly.objects.select_related("series", "detector")
        if self.action != "list":
            return queryset
        start, end = time_range(self.request)
        return filter_by_series_and_score(self.request, queryset.filter(ts__gte=start, ts__lt=end))


@extend_schema_view(
    list=extend_schema(
        parameters=[
            *SERIES_FILTERS,
            OpenApiParameter(
                "false_positive", bool, description="only events marked false positives (true) or not (false)"
            ),
        ],
        responses={200: AnomalyEventSerializer(many=True), **ERRORS},
    )
)
@with_error_responses(AnomalyEventSerializer)
class AnomalyEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Anomaly events (runs of anomalous points) overlapping the time range, newest first."""

    required_scope = ApiScope.READ
    serializer_class = AnomalyEventSerializer
    pagination_class = ByStart

    def get_queryset(self):
        queryset = false_positives.with_verdicts(AnomalyEvent.objects.select_related("series", "detector"))
        if self.action != "list":
            return queryset
        start, end = time_range(self.request)
        queryset = filter_by_series_and_score(self.request, queryset.filter(end__gte=start, start__lt=end))
        verdict = self.request.query_params.get("false_positive")
        if verdict is None:
            return queryset
        if verdict not in ("true", "false"):
            raise bad_parameter("false_positive", "must be true or false")
        return false_positives.filter_verdict(queryset, "only" if verdict == "true" else "hide")


class AlreadyMarked(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "already_marked"


@extend_schema_view(
    list=extend_schema(
        parameters=[ids_parameter("series", "series id (repeatable)"), MATCH_PARAMETER],
        responses={200: FalsePositiveSerializer(many=True), **ERRORS},
    ),
    create=extend_schema(
        request=MarkFalsePositiveSerializer,
        responses={201: FalsePositiveSerializer, 400: FIELD_ERRORS, 409: ErrorSerializer, **AUTH_ERRORS},
    ),
)
@with_error_responses(FalsePositiveSerializer)
class FalsePositiveViewSet(
    ScopedByMethod,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """False-positive marks: events a person judged not anomalies, newest
    first. The anomaly-events list shows each event's mark and filters by
    it; a backtest counts its events that fall on marks. Marking an event
    twice is a 409; deleting a mark takes the judgement back."""

    serializer_class = FalsePositiveSerializer

    def get_queryset(self):
        queryset = FalsePositive.objects.select_related("series").order_by("-marked_at", "-id")
        params = self.request.query_params
        if self.action == "list" and (params.get("match") or params.getlist("series")):
            queryset = queryset.filter(series__in=selected_series(self.request))
        return queryset

    def create(self, request, *args, **kwargs):
        asked = MarkFalsePositiveSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        who, now = str(getattr(request.user, "username", "")), timezone.now()
        try:
            made = false_positives.mark(
                asked.validated_data["event"], asked.validated_data["reason"], who, now
            )
        except false_positives.MarkError as exc:  # the reason was checked above: only a second mark is left
            raise AlreadyMarked(str(exc)) from None
        return Response(FalsePositiveSerializer(made).data, status=status.HTTP_201_CREATED)


@with_error_responses(JobRunSerializer)
class JobRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Runs of the periodic jobs, newest first: when, over what, and how they ended."""

    required_scope = ApiScope.READ
    serializer_class = JobRunSerializer

    def get_queryset(self):
        queryset = JobRun.objects.order_by("-started_at", "-id")
        if self.request.query_params.get("job"):
            queryset = queryset.filter(job=self.request.query_params["job"])
        return queryset

    @extend_schema(parameters=[OpenApiParameter("job", str, description="job name, e.g. detect; empty: any")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


class ForecastView(APIView):
    """The forecast of one series: the stored one, or a fresh one when
    `horizon` (or `level`, `threshold`) is given."""

    required_scope = ApiScope.READ

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "horizon",
                str,
                pattern=DURATION_PATTERN,
                description=f"fresh forecast this far ahead (`48h`, `7d`; default and empty: 7d), at most "
                f"{MAX_HORIZON.days} days",
            ),
            OpenApiParameter(
                "step",
                str,
                pattern=DURATION_PATTERN,
                description=f"step of a fresh forecast (default and empty: `1h`), at most {MAX_STEP.days} day "
                f"and at most {MAX_STEPS} steps in the horizon (beyond is a 400 naming `step`)",
            ),
            OpenApiParameter(
                "level",
                {"type": "array", "items": LEVELS},
                description="interval levels, percentages (repeatable; default 80 and 95)",
            ),
            OpenApiParameter(
                "threshold",
                float,
                description="report when the forecast reaches this value (a finite number)",
            ),
        ],
        description="Any of `horizon`, `step`, `level` or `threshold` asks for a fresh forecast, which needs "
        "enough history: too little is a 400 naming `series`.",
        responses={200: ForecastSerializer, 404: ErrorSerializer, **ERRORS},
    )
    def get(self, request, pk: int):
        series = get_object_or_404(Series, pk=pk)
        params = request.query_params
        if not any(p in params for p in ("horizon", "step", "level", "threshold")):
            forecast = get_object_or_404(Forecast.objects.select_related("series"), series=series)
            return Response(ForecastSerializer(forecast).data)
        return Response(self._fresh(series, params))

    def _fresh(self, series, params) -> dict:
        horizon = _duration(params.get("horizon") or "7d", "horizon", maximum=MAX_HORIZON)
        step = _duration(params.get("step") or "1h", "step", maximum=MAX_STEP)
        levels = tuple(finite_number(v, "level") for v in params.getlist("level")) or (80, 95)
        if not all(0 < lv < 100 for lv in levels):
            raise bad_parameter("level", "levels are percentages between 0 and 100")
        threshold = finite_number(params["threshold"], "threshold") if "threshold" in params else None
        if horizon / step > MAX_STEPS:
            raise bad_parameter("step", f"the horizon holds more than {MAX_STEPS} steps; use a longer step")
        try:
            result = forecast_series(
                series, timezone.now(), horizon=horizon, step=step, levels=levels, threshold=threshold
            )
        except NotEnoughData as exc:
            raise bad_parameter("series", str(exc)) from None
        crossing = result.crossing
        return {
            "series": series.pk,
            "series_key": series.key,
            "created_at": timezone.now(),
            "model": result.model,
            "step_seconds": int(step.total_seconds()),
            "trained_from": result.trained_from,
            "trained_to": result.trained_to,
            "levels": list(levels),
            "skill": result.skill,
            "threshold": result.threshold,
            "threshold_at": crossing.expected if crossing else None,
            "threshold_earliest": crossing.earliest if crossing else None,
            "threshold_latest": crossing.latest if crossing else None,
            "points": forecast_points(result.frame),
        }


def _duration(text: str, parameter: str, maximum: dt.timedelta) -> dt.timedelta:
    try:
        value = parse_duration(text, parameter)
    except TimeRangeError as exc:
        raise bad_parameter(parameter, str(exc)) from None
    if value > maximum:
        raise bad_parameter(parameter, f"must be at most {maximum.days} days")
    return value
