"""Serializers of the query API: series metadata and query parameters."""

from __future__ import annotations

from collections.abc import Mapping

from drf_spectacular.utils import extend_schema_field
from rest_framework import relations, serializers
from rest_framework.utils import html

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


LABEL_NAME_SYNTAX = r"[a-zA-Z_][a-zA-Z0-9_]*"


def json_type_error(field: serializers.Field, value) -> str | None:
    """Why `value`, from a JSON body, is not of the JSON type the schema gives `field`.

    DRF reads `0` for a string field as "0", `false` for a number as 0 and "5"
    for a number or an id as 5: lenient for HTML forms, whose values are all
    strings, but then a JSON body the schema refuses would be accepted.
    """
    if value is None:
        return None  # null: the field's allow_null decides
    if isinstance(field, serializers.ListField | relations.ManyRelatedField):
        child = field.child if isinstance(field, serializers.ListField) else field.child_relation
        if not isinstance(value, list):
            return None  # the field's own message
        return next((error for item in value if (error := json_type_error(child, item))), None)
    if isinstance(field, serializers.CharField) and not isinstance(value, str):
        return "Not a valid string."
    if isinstance(field, serializers.BooleanField) and not isinstance(value, bool):
        return "Must be a valid boolean."
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(field, serializers.FloatField | serializers.DecimalField) and not number:
        return "A valid number is required."
    whole = isinstance(value, int) and not isinstance(value, bool)
    if isinstance(field, serializers.IntegerField | relations.PrimaryKeyRelatedField) and not whole:
        return "A valid integer is required."
    return None


class JsonTypes:
    """A serializer mixin: a JSON body's fields must have the JSON types of the
    schema (see json_type_error); a form's (the browsable API's) are read as DRF reads them."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping) and not html.is_html_input(data):
            errors = {
                name: [error]
                for name, field in self.fields.items()
                if not field.read_only and name in data and (error := json_type_error(field, data[name]))
            }
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class BoundedFloatField(serializers.FloatField):
    """A float in [minimum, maximum], or (minimum, maximum] with `above_min`:
    checked here, and given by the schema (ingestion.schema), `exclusiveMinimum`
    included, from this one definition."""

    def __init__(self, *, minimum: float, maximum: float, above_min: bool = False, **kwargs):
        self.minimum, self.maximum, self.above_min = minimum, maximum, above_min
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        low_ok = value > self.minimum if self.above_min else value >= self.minimum
        if not (low_ok and value <= self.maximum):
            low = f"above {self.minimum}" if self.above_min else f"from {self.minimum}"
            raise serializers.ValidationError(f"must be {low} and at most {self.maximum}")
        return value


def holds_nul(value) -> bool:
    """Does a JSON value hold a NUL in any string, key or value, at any depth?"""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(holds_nul(key) or holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(holds_nul(item) for item in value)
    return False


class JsonbField(serializers.JSONField):
    """A JSON value stored as PostgreSQL jsonb, which cannot hold a NUL (`\\u0000`):
    one anywhere in it is a 400 naming the field (it was a 500 from the database)."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if holds_nul(value):
            raise serializers.ValidationError("a NUL character (\\u0000) cannot be stored")
        return value


@extend_schema_field({"type": "object", "additionalProperties": {"type": "string", "pattern": "^[^\\x00]*$"}})
class StringMapField(JsonbField):
    """A JSON object of strings (labels, annotations). Its keys must be label
    names too, which OpenAPI 3.0 cannot say of an object's keys: the
    serializer checks them (a 400 naming the field)."""


@extend_schema_field({"type": "object"})
class ObjectField(JsonbField):
    """A JSON object whose keys the serializer checks (detector and report parameters)."""


class SeriesSerializer(JsonTypes, serializers.ModelSerializer):
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
