"""The REST API's shared schema: error answers, id, range and format
parameters, and the decorator that documents a viewset's errors.

Every app's API documents its answers with these, so one error shape
(`{"detail": …, "parameter": …}`) and one grammar of times and durations
hold across the whole API.
"""

from __future__ import annotations

from collections.abc import Callable

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.serializers import Serializer

from core.durations import DURATION_SYNTAX
from core.query_params import MAX_BIGINT, bad_parameter, whole_number_schema
from core.time_range import TIME_SYNTAX, schema_pattern

MAX_ID = MAX_BIGINT  # ids are bigints


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    parameter = serializers.CharField(required=False, help_text="the query parameter at fault (400)")
    limit = serializers.CharField(
        required=False, help_text="the setting whose limit the request reached (503: a statement timeout)"
    )


def ids_parameter(name: str, description: str) -> OpenApiParameter:
    """A repeatable id filter (`?series=1&series=2`): whole numbers from 1 to MAX_ID, as read."""
    schema = {"type": "array", "items": whole_number_schema(1, MAX_ID)}
    return OpenApiParameter(name, schema, description=description)


MATCH_PARAMETER = OpenApiParameter(
    "match",
    str,
    description='Series selector, e.g. `cpu_usage_percent{host=~"web-.*"}`; empty: not given. Its grammar '
    "and its regexes (Prometheus', Python's and PostgreSQL's common part, compiled by PostgreSQL) are "
    "beyond this schema: a selector they refuse is a 400 naming `match`.",
)
# Times and durations: the parsers' own grammars (core.time_range); empty means "not given".
TIME_PATTERN = schema_pattern(TIME_SYNTAX, empty=True)
DURATION_PATTERN = schema_pattern(DURATION_SYNTAX, empty=True)
_TIME_RULES = "a date that does not exist or lies outside 1970–2200 is a 400 naming the parameter"
CURSOR_PARAMETER = OpenApiParameter(
    "cursor",
    str,
    description="from the previous page's `next` (an opaque token: any other is a 400 naming `cursor`)",
)
RANGE_PARAMETERS = [
    OpenApiParameter(
        "start",
        str,
        pattern=TIME_PATTERN,
        description="RFC 3339, epoch seconds or `now-1h` (default: end − 24h); it must be before `end`, "
        f"and {_TIME_RULES}",
    ),
    OpenApiParameter(
        "end",
        str,
        pattern=TIME_PATTERN,
        description=f"RFC 3339, epoch seconds or `now` (default: now); {_TIME_RULES}",
    ),
]
DURATION_RULES = "greater than 0 and at most 10 years"


def in_every_format(responses: dict) -> dict:
    """The answers of a view with JSON, CSV and browsable (HTML) renderers: each
    status in the three (an error too: in CSV, `error` and `parameter` columns)."""
    formats = {}
    for status_code, schema in responses.items():
        formats[status_code, "application/json"] = schema
        formats[status_code, "text/csv"] = OpenApiTypes.STR
        formats[status_code, "text/html"] = OpenApiTypes.STR
    return formats


def format_parameter(renderers) -> OpenApiParameter:
    """`?format=`: one of the view's renderers (`api` is the browsable page)."""
    formats = [renderer.format for renderer in renderers]
    return OpenApiParameter(
        "format", str, enum=formats, description="the answer's format; `Accept` works too"
    )


# Any request may also meet its statement timeout: 503 naming the limit.
AUTH_ERRORS = {401: ErrorSerializer, 403: ErrorSerializer, 429: ErrorSerializer, 503: ErrorSerializer}
ERRORS = {400: ErrorSerializer, **AUTH_ERRORS}
# DRF's answer to an invalid body: {"name": ["This field is required."]}; a
# nested field's messages come by key or index, as an object.
FIELD_ERRORS = OpenApiResponse(
    {
        "type": "object",
        "additionalProperties": {
            "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "object"}, {"type": "string"}]
        },
    },
    description='each invalid field with its messages, or {"detail": …} for a body that is not JSON',
)
BAD_PARAMETER_EXAMPLE = OpenApiExample(
    "a bad parameter",
    value={"detail": "step: 'fast' is not a duration such as 30s, 5m, 1h, 7d", "parameter": "step"},
    response_only=True,
    status_codes=["400"],
)


def with_error_responses(serializer: type[Serializer]) -> Callable[[type], type]:
    """Class decorator: document each ModelViewSet action's answer with the
    errors it can give (invalid fields on writes, 404 for one object).

    Put it under any more specific `extend_schema_view`, which then wins.
    """
    one = {404: ErrorSerializer, **AUTH_ERRORS}
    responses = {
        "list": {200: serializer(many=True), **ERRORS},
        "create": {201: serializer, 400: FIELD_ERRORS, **AUTH_ERRORS},
        "retrieve": {200: serializer, **one},
        "update": {200: serializer, 400: FIELD_ERRORS, **one},
        "partial_update": {200: serializer, 400: FIELD_ERRORS, **one},
        "destroy": {204: None, **one},
    }

    def decorate(viewset: type) -> type:
        actions = {
            name: extend_schema(responses=r) for name, r in responses.items() if hasattr(viewset, name)
        }
        return extend_schema_view(**actions)(viewset)

    return decorate


class FormatNegotiation(DefaultContentNegotiation):
    """An unknown `?format=` is a 400 naming the parameter, not DRF's bare 404
    (nor, for an empty one, ignored)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        if request.query_params.get("format", None) == "":
            self.filter_renderers(renderers, "")
        return super().select_renderer(request, renderers, format_suffix)

    def filter_renderers(self, renderers, format):
        known = [renderer for renderer in renderers if renderer.format == format]
        if not known:
            formats = ", ".join(renderer.format for renderer in renderers)
            raise bad_parameter("format", f"{format!r} is not one of {formats}")
        return known
