"""Serializers of the alerts API: rules, channels, silences, alerts, deliveries."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.template import TemplateSyntaxError
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from alerts.channel_checks import channel_errors
from alerts.choices import ChannelKind, RuleKind
from alerts.messages import check_template
from alerts.models import Alert, AlertRule, Delivery, NotificationChannel, Silence
from core import outbound
from ingestion.query_serializers import (
    LABEL_NAME_SYNTAX,
    BoundedFloatField,
    JsonTypes,
    StringMapField,
    validated_selector,
)

_LABEL_NAME = re.compile(rf"^{LABEL_NAME_SYNTAX}$")
_NEEDS_THRESHOLD = (RuleKind.THRESHOLD, RuleKind.ANOMALY_THRESHOLD, RuleKind.FORECAST)


def _check_template(text: str) -> str:
    try:
        check_template(text)
    except TemplateSyntaxError as exc:
        raise serializers.ValidationError(f"template error: {exc}") from None
    return text


# Series have a `kind` too, in two components, and drf-spectacular can then
# name no shared `KindEnum` well (a warning, which fails the schema check).
# Named components of their own keep these enums out of that contest.
@extend_schema_field({"type": "string", "enum": RuleKind.values}, component_name="AlertRuleKind")
class RuleKindField(serializers.ChoiceField):
    pass


@extend_schema_field({"type": "string", "enum": ChannelKind.values}, component_name="ChannelKind")
class ChannelKindField(serializers.ChoiceField):
    pass


class NotificationChannelSerializer(JsonTypes, serializers.ModelSerializer):
    """A channel. Beyond what the schema says, `kind` decides the other fields: a
    webhook, alertmanager, slack or dingtalk channel needs a `url` (https for slack
    and dingtalk, unless its host lies in TSMON_OUTBOUND_ALLOWED_NETWORKS; a
    destination tsmon may reach), dingtalk's with `access_token`; email needs
    `addresses` (e-mail addresses); only dingtalk takes a `secret` (`SEC…`).
    Each broken rule is a 400 naming the field."""

    kind = ChannelKindField(choices=ChannelKind.choices)
    has_secret = serializers.SerializerMethodField()

    class Meta:
        model = NotificationChannel
        fields = [
            "id",
            "name",
            "kind",
            "url",
            "addresses",
            "secret",
            "has_secret",
            "message_format",
            "disabled_reason",
            "disabled_at",
            "created_at",
        ]
        read_only_fields = ["id", "disabled_at", "created_at"]
        extra_kwargs = {
            "disabled_reason": {
                "help_text": "Set by tsmon when sending fails permanently; clear it to re-enable."
            },
            "url": {
                "validators": [outbound.validate_destination],
                "help_text": "webhook, slack, dingtalk: the URL posted to; alertmanager: its base URL"
                " (tsmon posts to <url>/api/v2/alerts).",
            },
            # Written, never shown: it signs every message.
            "secret": {"write_only": True, "help_text": "dingtalk only: the robot's signing secret (SEC…)."},
            "message_format": {"help_text": "dingtalk: markdown or text."},
        }

    def get_has_secret(self, channel: NotificationChannel) -> bool:
        return bool(channel.secret)

    def validate_addresses(self, addresses: list[str]) -> list[str]:
        for address in addresses:
            try:
                validate_email(address)
            except DjangoValidationError:
                raise serializers.ValidationError(f"{address!r} is not an e-mail address") from None
        return addresses

    def validate(self, attrs: dict) -> dict:
        def current(name: str, default):
            return attrs.get(name, getattr(self.instance, name, default))

        errors = channel_errors(
            current("kind", None), current("url", ""), current("addresses", []), current("secret", "")
        )
        if errors:
            raise serializers.ValidationError(errors)
        if "disabled_reason" in attrs:
            attrs["disabled_at"] = timezone.now() if attrs["disabled_reason"] else None
        return attrs


class AlertRuleSerializer(JsonTypes, serializers.ModelSerializer):
    """An alert rule. Beyond what the schema says: a threshold, anomaly-and-threshold
    or forecast rule needs a `threshold`; `selector` is a series selector (its grammar
    and regexes checked as for `match`); `summary` and `annotations` are Django
    templates; `labels` and `annotations` are keyed by label names; `detector` and
    `channels` name existing objects. Each broken rule is a 400 naming the field."""

    kind = RuleKindField(choices=RuleKind.choices)
    channels = serializers.PrimaryKeyRelatedField(
        many=True, queryset=NotificationChannel.objects.all(), required=False
    )
    min_score = BoundedFloatField(minimum=0, maximum=1, required=False)
    min_fraction = BoundedFloatField(minimum=0, maximum=1, above_min=True, required=False)
    window_seconds = serializers.IntegerField(min_value=1, max_value=2**31 - 1, required=False)
    labels = StringMapField(required=False)
    annotations = StringMapField(required=False)
    group_by = serializers.ListField(
        child=serializers.RegexField(
            rf"^(?:\.\.\.|{LABEL_NAME_SYNTAX})$",
            max_length=100,
            error_messages={"invalid": "not a label name (nor `...`)"},
        ),
        required=False,
        help_text="label names, or `...` for all labels",
    )

    class Meta:
        model = AlertRule
        fields = [
            "id",
            "name",
            "kind",
            "selector",
            "operator",
            "threshold",
            "min_score",
            "min_fraction",
            "window_seconds",
            "horizon_seconds",
            "forecast_level",
            "detector",
            "for_seconds",
            "keep_firing_for_seconds",
            "repeat_interval_seconds",
            "severity",
            "labels",
            "summary",
            "annotations",
            "group_by",
            "channels",
            "enabled",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate_selector(self, text: str) -> str:
        return validated_selector(text)

    def validate_summary(self, text: str) -> str:
        return _check_template(text)

    def validate_labels(self, labels) -> dict:
        return self._string_map(labels, "labels")

    def validate_annotations(self, annotations) -> dict:
        annotations = self._string_map(annotations, "annotations")
        for text in annotations.values():
            _check_template(text)
        return annotations

    def validate(self, attrs: dict) -> dict:
        kind = attrs.get("kind", getattr(self.instance, "kind", None))
        threshold = attrs.get("threshold", getattr(self.instance, "threshold", None))
        if kind in _NEEDS_THRESHOLD and threshold is None:
            raise serializers.ValidationError({"threshold": f"a {kind} rule needs a threshold"})
        return attrs

    @staticmethod
    def _string_map(value, name: str) -> dict:
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise serializers.ValidationError(f"{name} map names to strings")
        bad = [k for k in value if not _LABEL_NAME.match(k)]
        if bad:
            raise serializers.ValidationError(f"not label names: {', '.join(bad)}")
        return value


class SilenceSerializer(JsonTypes, serializers.ModelSerializer):
    """A silence. Beyond what the schema says: `matchers` is a series selector (its
    grammar and regexes checked as for `match`), and `ends_at` must be after
    `starts_at` (default: now); each is a 400 naming the field."""

    active = serializers.SerializerMethodField()

    class Meta:
        model = Silence
        fields = ["id", "matchers", "starts_at", "ends_at", "comment", "created_by", "created_at", "active"]
        read_only_fields = ["id", "created_by", "created_at"]

    def get_active(self, silence: Silence) -> bool:
        return silence.is_active(timezone.now())

    def validate_matchers(self, text: str) -> str:
        return validated_selector(text)

    def validate(self, attrs: dict) -> dict:
        starts = attrs.get("starts_at", getattr(self.instance, "starts_at", None) or timezone.now())
        ends = attrs.get("ends_at", getattr(self.instance, "ends_at", None))
        if ends is not None and ends <= starts:
            raise serializers.ValidationError({"ends_at": "a silence ends after it starts"})
        return attrs


class AlertSerializer(serializers.ModelSerializer):
    rule_name = serializers.CharField(source="rule.name", read_only=True)
    severity = serializers.CharField(source="rule.severity", read_only=True)
    series_key = serializers.CharField(source="series.key", read_only=True)
    silenced = serializers.SerializerMethodField()

    class Meta:
        model = Alert
        fields = [
            "id",
            "rule",
            "rule_name",
            "severity",
            "series",
            "series_key",
            "state",
            "labels",
            "started_at",
            "fired_at",
            "recovering_since",
            "resolved_at",
            "last_evaluated_at",
            "value",
            "expected",
            "lo",
            "hi",
            "score",
            "details",
            "acknowledged_at",
            "acknowledged_by",
            "silenced",
            "last_notified_at",
        ]
        read_only_fields = fields

    def get_silenced(self, alert: Alert) -> bool:
        return alert.silenced_by_id is not None


class DeliverySerializer(serializers.ModelSerializer):
    channel_name = serializers.CharField(source="channel.name", read_only=True)
    status = serializers.CharField(source="notification.status", read_only=True)
    group_key = serializers.CharField(source="notification.group_key", read_only=True)
    alerts = serializers.ListField(
        source="notification.alert_ids", child=serializers.IntegerField(), read_only=True
    )

    class Meta:
        model = Delivery
        fields = [
            "id",
            "notification",
            "channel",
            "channel_name",
            "status",
            "group_key",
            "alerts",
            "attempted_at",
            "duration_ms",
            "outcome",
            "http_status",
            "error",
        ]
        read_only_fields = fields
