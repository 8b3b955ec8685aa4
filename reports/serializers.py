"""Serializers of the reports API."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.durations import DURATION_SYNTAX
from core.time_range import schema_pattern
from ingestion.query_serializers import JsonbField, JsonTypes, validated_selector
from reports.builders import TABLES, parse_horizon
from reports.choices import ReportStatus
from reports.models import Report

MAX_PERIOD_DAYS = 92
MIN_DAYS, MAX_DAYS = 1, 365
MAX_HORIZONS, MAX_HORIZON_DAYS = 12, 60


@extend_schema_field(
    {
        "type": "object",
        "properties": {
            "days": {"type": "number", "minimum": MIN_DAYS, "maximum": MAX_DAYS},
            "horizons": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_HORIZONS,
                "items": {"type": "string", "pattern": schema_pattern(DURATION_SYNTAX)},
                "description": f"durations such as 6h, from a minute to {MAX_HORIZON_DAYS} days each",
            },
        },
    }
)
class ReportParamsField(JsonbField):
    """A report's parameters: `days` and `horizons`, checked by `validate_params`."""


class ReportSerializer(JsonTypes, serializers.ModelSerializer):
    """A report's request, status and summary; the content comes with `?content=1` or a download.

    Beyond what the schema says: `selector` is a series selector (empty: every
    series; its grammar and regexes checked as for `match`), `period_start` must be
    before `period_end` (default: now) and at most 92 days earlier, and each horizon
    at most 60 days; each is a 400 naming the field."""

    downloads = serializers.SerializerMethodField()
    params = ReportParamsField(required=False)

    class Meta:
        model = Report
        fields = [
            "id", "kind", "title", "selector", "params", "period_start", "period_end", "status",
            "progress", "stage", "error", "requested_by", "created_at", "started_at", "finished_at",
            "summary", "downloads",
        ]  # fmt: skip
        read_only_fields = [
            "id", "status", "progress", "stage", "error", "requested_by", "created_at",
            "started_at", "finished_at", "summary", "downloads",
        ]  # fmt: skip
        extra_kwargs = {"period_start": {"required": False}, "period_end": {"required": False}}

    def get_downloads(self, report) -> dict[str, str]:
        # From the kind, not the content: lists defer the (large) content column.
        if report.status != ReportStatus.DONE:
            return {}
        base = f"/api/v1/reports/{report.pk}"
        links = {"html": f"{base}/html", "json": f"{base}/json"}
        links.update({f"csv:{name}": f"{base}/csv?table={name}" for name in TABLES[report.kind]})
        return links

    def validate_selector(self, value: str) -> str:
        return validated_selector(value, allow_empty=True)

    def validate_params(self, value: dict) -> dict:
        if not isinstance(value, dict):
            raise serializers.ValidationError('must be an object, e.g. {"days": 14}')
        if "days" in value:
            days = value["days"]
            number = isinstance(days, int | float) and not isinstance(days, bool)
            if not number or not MIN_DAYS <= days <= MAX_DAYS:
                raise serializers.ValidationError(f"days: a number of days from {MIN_DAYS} to {MAX_DAYS}")
        if "horizons" in value:
            horizons = value["horizons"]
            if not isinstance(horizons, list) or not 1 <= len(horizons) <= MAX_HORIZONS:
                raise serializers.ValidationError(
                    f'horizons: a list of 1 to {MAX_HORIZONS} durations such as "6h"'
                )
            for text in horizons:
                try:
                    if not isinstance(text, str):
                        raise ValueError(f"{text!r} is not a duration such as 6h")
                    if parse_horizon(text).days > MAX_HORIZON_DAYS:
                        raise ValueError(f"{text!r} is more than {MAX_HORIZON_DAYS} days ahead")
                except ValueError as exc:
                    raise serializers.ValidationError(f"horizons: {exc}") from None
        return value

    def validate(self, attrs: dict) -> dict:
        end = attrs.get("period_end") or timezone.now()
        start = attrs.get("period_start")
        if start is not None and start >= end:
            raise serializers.ValidationError({"period_start": "must be before period_end"})
        if start is not None and (end - start).days > MAX_PERIOD_DAYS:
            raise serializers.ValidationError(
                {"period_start": f"a report covers at most {MAX_PERIOD_DAYS} days"}
            )
        attrs["period_end"] = end
        return attrs
