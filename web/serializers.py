"""Serializers of the dashboards API: a dashboard with its panels, nested."""

from __future__ import annotations

import re

from django.core.validators import RegexValidator
from django.urls import reverse
from django.utils.http import urlencode
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api_schema import MAX_ID
from core.durations import DURATION_SYNTAX
from ingestion.query_serializers import JsonTypes
from ingestion.selectors import MAX_LENGTH as MAX_SELECTOR_LENGTH
from web.dashboard_writer import MAX_PANELS, save_dashboard
from web.models import AGGREGATION_CHOICES, Dashboard, Panel
from web.panel_checks import PanelError, checked_range, checked_selector, checked_step
from web.panel_data import panel_step
from web.panel_ranges import DEFAULT_RANGE, parse_panel_range

STEP_SYNTAX = f"(?:{DURATION_SYNTAX})"  # or empty (allow_blank: the schema's other choice)
RANGE_SYNTAX = f"now-(?:{DURATION_SYNTAX})"


class WholePatternField(serializers.CharField):
    """Text that matches `syntax` whole, spaces included: as the schema's `pattern` says
    (the validator gives the schema its pattern; `fullmatch` also refuses the trailing
    newline a Python `$` would let through)."""

    def __init__(self, syntax: str, message: str, **kwargs):
        self.syntax, self.message = syntax, message
        super().__init__(trim_whitespace=False, **kwargs)
        self.validators.append(RegexValidator(f"^(?:{syntax})$", message))

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not re.fullmatch(self.syntax, value):
            raise serializers.ValidationError(self.message)
        return value


# The points API's `agg` has the same choices, and drf-spectacular would warn of
# two names for one enum; a component of its own keeps this one out of that contest.
@extend_schema_field(
    {"type": "string", "enum": [name for name, _ in AGGREGATION_CHOICES]}, component_name="PanelAggregation"
)
class AggregationField(serializers.ChoiceField):
    pass


class PanelListSerializer(serializers.ListSerializer):
    """Errors of the panels by index, as an object ({"1": {"selector": [...]}}), as DRF
    gives a list field's: the API's error schema has objects of messages, not lists of them."""

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            detail = exc.detail
            if isinstance(detail, list) and any(isinstance(error, dict) for error in detail):
                detail = {str(index): error for index, error in enumerate(detail) if error}
            raise serializers.ValidationError(detail) from None


class PanelSerializer(JsonTypes, serializers.ModelSerializer):
    """A panel: the series `selector` matches, `aggregation` per `step`, over `range`.

    Beyond what the schema says: `selector` is a series selector whose grammar and
    regexes are checked as for `match`; `range` is at most 366 days; `step` (empty:
    chosen from the range, about 600 buckets) is above 0 and at most the range.
    `url` is the panel's page; `points` the same numbers from /api/v1/points."""

    id = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text="in a write: the id of a panel of this dashboard, changed in place (its page keeps its "
        "address); none: a new panel",
    )
    selector = serializers.CharField(max_length=MAX_SELECTOR_LENGTH)
    aggregation = AggregationField(choices=AGGREGATION_CHOICES, required=False)
    step = WholePatternField(
        STEP_SYNTAX,
        "a duration such as 30s, 5m, 1h, or empty",
        required=False,
        allow_blank=True,
        max_length=20,
    )
    range = WholePatternField(
        RANGE_SYNTAX, "a range such as now-24h or now-7d", required=False, max_length=40
    )
    url = serializers.SerializerMethodField()
    points = serializers.SerializerMethodField()

    class Meta:
        model = Panel
        list_serializer_class = PanelListSerializer
        fields = ["id", "position", "title", "selector", "aggregation", "step", "range", "url", "points"]
        read_only_fields = ["position"]

    def get_url(self, panel: Panel) -> str:
        return reverse("panel-detail", args=[panel.dashboard_id, panel.pk])

    def get_points(self, panel: Panel) -> str:
        """/api/v1/points of this panel over its own range, ending now."""
        step, _ = panel_step(panel, parse_panel_range(panel.range))
        query = {"match": panel.selector, "start": panel.range, "step": f"{step.total_seconds():g}"}
        return f"{reverse('points')}?{urlencode(query | {'agg': panel.aggregation})}"

    def validate(self, attrs: dict) -> dict:
        if "selector" not in attrs:  # a PATCH of the dashboard still gives each panel whole
            raise serializers.ValidationError({"selector": ["This field is required."]})
        range_text = attrs.get("range", DEFAULT_RANGE)
        try:
            attrs["selector"] = checked_selector(attrs["selector"])
            checked_range(range_text)
            checked_step(attrs.get("step", ""), range_text)
        except PanelError as exc:
            raise serializers.ValidationError({exc.field: [str(exc)]}) from None
        return attrs


class DashboardSerializer(JsonTypes, serializers.ModelSerializer):
    """A dashboard and its panels, in order.

    In a write, `panels` (if given) is the whole list, at most 24: each with the
    `id` of a panel of this dashboard changes that panel, each without one is a new
    panel, and those left out are deleted; a field a panel leaves out takes its
    default. The owner is the person signed in, or the one who created the API key.
    Beyond what the schema says: `title` is not only spaces, and a panel `id` is one
    of this dashboard's, once; each is a 400 naming the field."""

    owner = serializers.CharField(source="owner.get_username", read_only=True)
    panels = PanelSerializer(many=True, required=False)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Dashboard
        fields = ["id", "title", "owner", "panels", "created_at", "updated_at", "url"]
        read_only_fields = ["id", "owner", "created_at", "updated_at"]

    def get_url(self, dashboard: Dashboard) -> str:
        return reverse("dashboard-detail", args=[dashboard.pk])

    def validate_panels(self, panels: list[dict]) -> list[dict]:
        if len(panels) > MAX_PANELS:
            raise serializers.ValidationError(f"a dashboard holds at most {MAX_PANELS} panels")
        ids = [fields["id"] for fields in panels if "id" in fields]
        if len(ids) != len(set(ids)):
            raise serializers.ValidationError("a panel id is given twice")
        own = set(self.instance.panels.values_list("pk", flat=True)) if self.instance else set()
        if strangers := [i for i in ids if i not in own]:
            raise serializers.ValidationError(f"{strangers[0]} is not the id of a panel of this dashboard")
        return panels

    def create(self, validated_data: dict) -> Dashboard:
        dashboard = Dashboard(owner=validated_data["owner"], title=validated_data["title"])
        return save_dashboard(dashboard, validated_data.get("panels", []))

    def update(self, dashboard: Dashboard, validated_data: dict) -> Dashboard:
        dashboard.title = validated_data.get("title", dashboard.title)
        return save_dashboard(dashboard, validated_data.get("panels"))
