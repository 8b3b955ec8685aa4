"""Serializers of the analytics API: detectors, anomalies, events, false-positive marks,
forecasts, job runs."""

from __future__ import annotations

from rest_framework import serializers

from analytics.algorithms.detector import StreamingDetector
from analytics.choices import DetectorKind
from analytics.false_positives import MAX_REASON
from analytics.models import Anomaly, AnomalyEvent, Detector, FalsePositive, Forecast
from core.durations import TimeRangeError, parse_duration
from core.models import JobRun
from ingestion.query_serializers import BoundedFloatField, JsonTypes, ObjectField, validated_selector


class DetectorSerializer(JsonTypes, serializers.ModelSerializer):
    """A detector. Beyond what the schema says: `selector` is a series selector
    (its grammar and regexes checked as for `match`), and
    `params` holds only keyword arguments of the `kind`'s algorithm (peer_group:
    window, step, method); each is a 400 naming the field."""

    min_score = BoundedFloatField(minimum=0, maximum=1, above_min=True, required=False)
    params = ObjectField(
        required=False,
        help_text=(
            "keyword arguments of the kind's algorithm. Changing them (or kind) forgets what the"
            " detector learned and found: its states, anomalies and anomaly events are deleted"
            " (false-positive marks stay), and the next detection runs score every watched"
            " series' history afresh with the new parameters, up to 200,000 points a series a run"
        ),
    )

    class Meta:
        model = Detector
        fields = ["id", "name", "selector", "kind", "params", "min_score", "enabled", "created_at"]
        read_only_fields = ["id", "created_at"]

    def validate_selector(self, value: str) -> str:
        return validated_selector(value, allow_empty=True)  # empty: every series

    def validate_params(self, value) -> dict:
        if not isinstance(value, dict):
            raise serializers.ValidationError(
                'an object of the algorithm\'s keyword arguments, e.g. {} or {"window": "1h"}'
            )
        return value

    def validate(self, attrs: dict) -> dict:
        """The parameters must be ones the detector's algorithm accepts."""
        kind = attrs.get("kind", getattr(self.instance, "kind", DetectorKind.SERIES))
        params = attrs.get("params", getattr(self.instance, "params", {}))
        problem = params_problem(kind, params)
        if problem:
            raise serializers.ValidationError({"params": problem})
        return attrs


def params_problem(kind: str, params: dict) -> str | None:
    """Why `params` cannot configure a detector of `kind`, or None."""
    if kind == DetectorKind.PEER_GROUP:
        unknown = set(params) - {"window", "step", "method"}
        if unknown:
            return f"unknown peer-group parameter(s) {sorted(unknown)}; use window, step, method"
        if params.get("method", "mad") not in ("mad", "dbscan"):
            return "method must be 'mad' or 'dbscan'"
        for name in ("window", "step"):
            if name in params:
                try:
                    parse_duration(str(params[name]), name)
                except TimeRangeError as exc:
                    return str(exc)
        return None
    try:
        StreamingDetector(**params)
    except TypeError as exc:
        return f"not a parameter of the streaming detector: {exc}"
    return None


_DATETIME = serializers.DateTimeField()
_DIRECTIONS = {1: "up", -1: "down"}


class AnomalySerializer(serializers.ModelSerializer):
    series_key = serializers.CharField(source="series.key", read_only=True)
    detector = serializers.SlugRelatedField(slug_field="name", read_only=True)
    direction = serializers.SerializerMethodField()

    class Meta:
        model = Anomaly
        fields = [
            "id", "series", "series_key", "ts", "kind", "score", "value",
            "expected", "lo", "hi", "direction", "detector", "model_version",
        ]  # fmt: skip

    def get_direction(self, anomaly) -> str:
        return _DIRECTIONS.get(anomaly.direction, "unknown")

    def to_representation(self, a):
        # A page holds up to 5,000 anomalies: building the dict directly is
        # several times faster than the generic field machinery, and a test
        # checks it gives exactly what the declared fields would.
        return {
            "id": a.id, "series": a.series_id, "series_key": a.series.key, "ts": _DATETIME.to_representation(a.ts),
            "kind": a.kind, "score": a.score, "value": a.value, "expected": a.expected, "lo": a.lo, "hi": a.hi,
            "direction": _DIRECTIONS.get(a.direction, "unknown"), "detector": a.detector.name,
            "model_version": a.model_version,
        }  # fmt: skip


class FalsePositiveMarkSerializer(serializers.Serializer):
    """A person's judgement that an event is not an anomaly."""

    id = serializers.IntegerField()
    reason = serializers.CharField()
    marked_by = serializers.CharField()
    marked_at = serializers.DateTimeField()


class FalsePositiveSerializer(serializers.ModelSerializer):
    """A false-positive mark: the stretch of a series a person judged not an
    anomaly, copied from the event it was made from (`event` is null once
    the detector has forgotten that event: the mark outlives it)."""

    series_key = serializers.CharField(source="series.key", read_only=True)

    class Meta:
        model = FalsePositive
        fields = [
            "id", "event", "series", "series_key", "start", "end", "detector_name", "reason", "marked_by",
            "marked_at",
        ]  # fmt: skip
        read_only_fields = fields


class MarkFalsePositiveSerializer(serializers.Serializer):
    """What marking takes: the event, and why it is not an anomaly."""

    event = serializers.PrimaryKeyRelatedField(
        queryset=AnomalyEvent.objects.select_related("series", "detector"), help_text="the event's id"
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=MAX_REASON, default="")


class AnomalyEventSerializer(serializers.ModelSerializer):
    series_key = serializers.CharField(source="series.key", read_only=True)
    detector = serializers.SlugRelatedField(slug_field="name", read_only=True)
    direction = serializers.SerializerMethodField()
    duration_seconds = serializers.SerializerMethodField()
    # Annotated by analytics.false_positives.with_verdicts: the mark over the event, or null.
    false_positive = FalsePositiveMarkSerializer(read_only=True, allow_null=True)

    class Meta:
        model = AnomalyEvent
        fields = [
            "id", "series", "series_key", "kind", "start", "end", "duration_seconds",
            "peak_score", "peak_ts", "n_points", "direction", "detector", "false_positive",
        ]  # fmt: skip

    def get_direction(self, event) -> str:
        return _DIRECTIONS.get(event.direction, "unknown")

    def get_duration_seconds(self, event) -> float:
        return event.duration.total_seconds()


class ForecastSerializer(serializers.ModelSerializer):
    series_key = serializers.CharField(source="series.key", read_only=True)

    class Meta:
        model = Forecast
        fields = [
            "series", "series_key", "created_at", "model", "step_seconds", "trained_from", "trained_to",
            "levels", "skill", "threshold", "threshold_at", "threshold_earliest", "threshold_latest", "points",
        ]  # fmt: skip


class JobRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = JobRun
        fields = [
            "id",
            "job",
            "started_at",
            "finished_at",
            "outcome",
            "n_series",
            "n_points",
            "error",
            "worker",
            "details",
        ]
