"""Pages of API lists: every page size is capped, and a bad one is a 400 naming it.

`limit` beyond a list's cap (or empty) is refused (400 naming the parameter
and the cap), not clamped: a client that asked for a million rows learns at once
that it gets pages, instead of silently receiving fewer than it thinks.
The caps are in the OpenAPI schema (`maximum` of each parameter).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination, LimitOffsetPagination

from core.query_params import bad_parameter, whole_number, whole_number_schema

MAX_OFFSET = 1_000_000_000  # far past any list tsmon keeps, and well within a bigint


class CappedLimitOffsetPagination(LimitOffsetPagination):
    """Limit/offset pages (the default for small lists) of at most `max_limit` rows."""

    max_limit = 1000

    def get_limit(self, request) -> int:
        text = request.query_params.get(self.limit_query_param)
        if text is None:
            return self.default_limit
        return whole_number(text, self.limit_query_param, 1, self.max_limit)

    def get_offset(self, request) -> int:
        text = request.query_params.get(self.offset_query_param)
        return 0 if text is None else whole_number(text, self.offset_query_param, 0, MAX_OFFSET)

    def get_schema_operation_parameters(self, view):
        bounds = {
            self.limit_query_param: (1, self.max_limit, self.default_limit),
            self.offset_query_param: (0, MAX_OFFSET, 0),
        }
        return [
            _bounded(parameter, *bounds[parameter["name"]])
            for parameter in super().get_schema_operation_parameters(view)
        ]


class TimeCursorPagination(CursorPagination):
    """Cursor pages whose bad `cursor` is a 400 naming it, as for /points:
    not DRF's 404 for one that does not decode, nor a 500 for one whose
    position is not a time. A page size asked for (`page_size_query_param`)
    above `max_page_size` is a 400 too."""

    max_page_size = 1000

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except (NotFound, DjangoValidationError):
            raise bad_parameter("cursor", "not a cursor from a previous page's `next`") from None

    def get_page_size(self, request) -> int:
        name = self.page_size_query_param
        text = request.query_params.get(name) if name else None
        return self.page_size if text is None else whole_number(text, name, 1, self.max_page_size)

    def get_schema_operation_parameters(self, view):
        cursor = "from the previous page's `next` (an opaque token: any other is a 400 naming `cursor`)"
        return [
            _bounded(parameter, 1, self.max_page_size, self.page_size)
            if parameter["name"] == self.page_size_query_param
            else {**parameter, "description": cursor}
            if parameter["name"] == self.cursor_query_param
            else parameter
            for parameter in super().get_schema_operation_parameters(view)
        ]


def _bounded(parameter: dict, minimum: int, maximum: int, default: int) -> dict:
    """A pagination parameter of the schema with its bounds, and what lies beyond them."""
    schema = whole_number_schema(minimum, maximum, default=default)
    description = f"{parameter.get('description', '')} ({minimum} to {maximum}; beyond is a 400)".strip()
    return {**parameter, "schema": schema, "description": description}
