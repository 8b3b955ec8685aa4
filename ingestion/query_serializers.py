"""Serializers of the query API: series metadata and query parameters."""

from __future__ import annotations

from rest_framework import serializers

from ingestion.models import Series
from ingestion.queries import AGGREGATES, check_regexes
from ingestion.selectors import SelectorError, parse_selector


def validated_selector(text: str, allow_empty: bool = False) -> str:
    """A serializer check: `text` must parse as a series selector (or be
    empty, where that means "every series"), with regexes PostgreSQL
    accepts, so that no stored selector fails later; returns it stripped."""
    text = text.strip()
    if text or not allow_empty:
        try:
            check_regexes(parse_selector(text))
        except SelectorError as exc:
            raise serializers.ValidationError(str(exc)) from None
    return text


class SeriesSerializer(serializers.ModelSerializer):
    source = serializers.SlugRelatedField(slug_field="name", read_only=True)
    last_ts = serializers.DateTimeField(
        read_only=True, help_text="time of the latest point: within a minute in lists, exact for one series"
    )

    class Meta:
        model = Series
        fields = [
            "id",
            "key",
            "metric",
            "labels",
            "source",
            "unit",
            "kind",
            "capacity",
            "first_ts",
            "last_ts",
        ]
        read_only_fields = ["id", "key", "metric", "labels", "source", "first_ts", "last_ts"]


class SeriesDetailSerializer(SeriesSerializer):
    point_count = serializers.IntegerField(read_only=True)

    class Meta(SeriesSerializer.Meta):
        fields = [*SeriesSerializer.Meta.fields, "point_count"]


class SeriesPointsSerializer(serializers.Serializer):
    """One series and its points as `[time, value]` pairs."""

    id = serializers.IntegerField()
    key = serializers.CharField()
    metric = serializers.CharField()
    labels = serializers.DictField(child=serializers.CharField())
    points = serializers.ListField(
        child=serializers.ListField(), help_text='[["2026-11-21T12:00:00Z", 42.0], ...]'
    )


class PointsResponseSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    step = serializers.CharField(allow_null=True)
    agg = serializers.ChoiceField(choices=sorted(AGGREGATES), allow_null=True)
    series = SeriesPointsSerializer(many=True)
    next = serializers.CharField(allow_null=True, help_text="URL of the next page of raw points, if any")


class RollingResponseSerializer(serializers.Serializer):
    series = SeriesSerializer()
    window = serializers.CharField()
    points = serializers.ListField(
        child=serializers.DictField(), help_text="ts, value, mean, std, variance, zscore per point"
    )


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    parameter = serializers.CharField(required=False, help_text="the query parameter at fault (400)")
    limit = serializers.CharField(
        required=False, help_text="the setting whose limit the request reached (503: a statement timeout)"
    )
