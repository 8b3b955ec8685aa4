"""The alerts API: rules, channels and silences (CRUD), alerts (list, filter,
acknowledge) and delivery attempts (list).

Reading needs the `read` scope, writing `admin` (for a person signed in,
the permissions core.scopes maps to those scopes).
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from alerts.choices import AlertState, DeliveryOutcome, Severity
from alerts.models import Alert, AlertRule, Delivery, NotificationChannel, Silence
from alerts.serializers import (
    AlertRuleSerializer,
    AlertSerializer,
    DeliverySerializer,
    NotificationChannelSerializer,
    SilenceSerializer,
)
from core.api_schema import ERRORS, MAX_ID, ErrorSerializer, ids_parameter, with_error_responses
from core.pagination import TimeCursorPagination
from core.query_params import bad_parameter, whole_number
from core.scopes import ApiScope, ScopedByMethod


class AlertPagination(TimeCursorPagination):
    ordering = ("-started_at", "-id")
    page_size = 100


class DeliveryPagination(TimeCursorPagination):
    ordering = ("-attempted_at", "-id")
    page_size = 100


def _values(request, name: str) -> list[str]:
    """Repeatable `?name=` values, each also a list separated by commas; an empty one is
    refused by the caller's check, as the schema's items (an enum, an integer) are never empty."""
    return [v for value in request.query_params.getlist(name) for v in value.split(",")]


def _choice(request, name: str, choices) -> list[str]:
    """Repeatable `?name=` values, each one of `choices` (a 400 naming the parameter if not)."""
    values = _values(request, name)
    bad = [v for v in values if v not in choices]
    if bad:
        raise bad_parameter(name, f"{bad[0]!r} is not one of {', '.join(choices)}")
    return values


def choices_parameter(name: str, choices) -> OpenApiParameter:
    """The schema of a `_choice` filter: repeatable, each value one of `choices`."""
    return OpenApiParameter(
        name, str, many=True, enum=choices, description="repeatable, or separated by commas"
    )


def _ids(request, name: str) -> list[int]:
    return [whole_number(v, name, 1, MAX_ID) for v in _values(request, name)]


def _flag(request, name: str) -> bool | None:
    text = request.query_params.get(name)
    if text is None:
        return None
    if text not in ("true", "false"):
        raise bad_parameter(name, "must be true or false")
    return text == "true"


@with_error_responses(AlertRuleSerializer)
class AlertRuleViewSet(ScopedByMethod, viewsets.ModelViewSet):
    """Alert rules: which series, which condition, how long, whom to tell."""

    serializer_class = AlertRuleSerializer
    queryset = AlertRule.objects.prefetch_related("channels").order_by("name")


@with_error_responses(NotificationChannelSerializer)
class NotificationChannelViewSet(viewsets.ModelViewSet):
    """Where notifications go: webhooks (Alertmanager JSON) and e-mail.

    Admin scope even to read: webhook URLs often carry a token (Slack,
    PagerDuty), and addresses are personal data.
    """

    required_scope = ApiScope.ADMIN
    serializer_class = NotificationChannelSerializer
    queryset = NotificationChannel.objects.order_by("name")


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("active", bool, description="only silences in force now (true) or not")]
    )
)
@with_error_responses(SilenceSerializer)
class SilenceViewSet(ScopedByMethod, viewsets.ModelViewSet):
    """Silences: label matchers with an expiry; matching alerts change state but do not notify."""

    serializer_class = SilenceSerializer

    def get_queryset(self):
        queryset = Silence.objects.order_by("-starts_at", "-id")
        active = _flag(self.request, "active") if self.action == "list" else None
        now = timezone.now()
        if active is True:
            queryset = queryset.filter(starts_at__lte=now, ends_at__gt=now)
        elif active is False:
            queryset = queryset.exclude(starts_at__lte=now, ends_at__gt=now)
        return queryset

    def perform_create(self, serializer):
        serializer.save(created_by=str(getattr(self.request.user, "username", "")))


@extend_schema_view(
    list=extend_schema(
        parameters=[
            choices_parameter("state", AlertState.values),
            ids_parameter("rule", "rule id (repeatable); or ids separated by commas"),
            choices_parameter("severity", Severity.values),
            ids_parameter("series", "series id (repeatable); or ids separated by commas"),
            OpenApiParameter("acknowledged", bool),
        ],
        responses={200: AlertSerializer(many=True), **ERRORS},
    )
)
@with_error_responses(AlertSerializer)
class AlertViewSet(ScopedByMethod, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Alerts, newest first; filter by state, rule, severity, series; acknowledge one."""

    serializer_class = AlertSerializer
    pagination_class = AlertPagination

    def get_queryset(self):
        queryset = Alert.objects.select_related("rule", "series")
        if self.action != "list":
            return queryset
        request = self.request
        if states := _choice(request, "state", AlertState.values):
            queryset = queryset.filter(state__in=states)
        if severities := _choice(request, "severity", Severity.values):
            queryset = queryset.filter(rule__severity__in=severities)
        if rules := _ids(request, "rule"):
            queryset = queryset.filter(rule_id__in=rules)
        if series := _ids(request, "series"):
            queryset = queryset.filter(series_id__in=series)
        acknowledged = _flag(request, "acknowledged")
        if acknowledged is not None:
            queryset = queryset.filter(acknowledged_at__isnull=not acknowledged)
        return queryset

    @extend_schema(request=None, responses={200: AlertSerializer, 400: ErrorSerializer, 404: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        """Acknowledge an open alert: it stops re-notifying until it resolves."""
        alert = self.get_object()
        if not alert.is_open:
            raise bad_parameter("id", f"the alert is {alert.state}; only open alerts can be acknowledged")
        if alert.acknowledged_at is None:
            alert.acknowledge(str(getattr(request.user, "username", request.user)), timezone.now())
        return Response(AlertSerializer(alert).data)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            ids_parameter("channel", "channel id (repeatable); or ids separated by commas"),
            ids_parameter("notification", "notification id (repeatable); or ids separated by commas"),
            choices_parameter("outcome", DeliveryOutcome.values),
        ],
        responses={200: DeliverySerializer(many=True), **ERRORS},
    )
)
class DeliveryViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Every attempt to send a notification: outcome, HTTP status, error, duration.

    Read scope: an error names the receiver's origin and the HTTP status
    only, never the URL's path or the receiver's answer (see notifiers), so
    it tells a dashboard what failed without showing a webhook's token.
    """

    serializer_class = DeliverySerializer
    pagination_class = DeliveryPagination
    required_scope = ApiScope.READ

    def get_queryset(self):
        queryset = Delivery.objects.select_related("channel", "notification")
        if channels := _ids(self.request, "channel"):
            queryset = queryset.filter(channel_id__in=channels)
        if notifications := _ids(self.request, "notification"):
            queryset = queryset.filter(notification_id__in=notifications)
        if outcomes := _choice(self.request, "outcome", DeliveryOutcome.values):
            queryset = queryset.filter(outcome__in=outcomes)
        return queryset
