"""Serializers of the reports API."""

from __future__ import annotations

from django.utils import timezone
from rest_framework import serializers

from ingestion.query_serializers import validated_selector
from reports.builders import TABLES, parse_horizon
from reports.choices import ReportStatus
from reports.models import Report

MAX_PERIOD_DAYS = 92


class ReportSerializer(serializers.ModelSerializer):
    """A report's request, status and summary; the content comes with `?content=1` or a download."""

    downloads = serializers.SerializerMethodField()

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
            if not isinstance(days, int | float) or not 1 <= days <= 365:
                raise serializers.ValidationError("days: a number of days from 1 to 365")
        if "horizons" in value:
            horizons = value["horizons"]
            if not isinstance(horizons, list) or not 1 <= len(horizons) <= 12:
                raise serializers.ValidationError('horizons: a list of 1 to 12 durations such as "6h"')
            for text in horizons:
                try:
                    if parse_horizon(text).days > 60:
                        raise ValueError(f"{text!r} is more than 60 days ahead")
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
