"""Query parameters of the API and the pages: read once, refused with a 400 naming them.

Every read parses its parameters with these helpers, so that a bad value
(a count beyond any bigint, `nan`, a NUL) is a 400 that says which
parameter and why, never a 500 from deeper down. `NulParameterMiddleware`
refuses a NUL in the path or any query parameter of a read before a view
sees it: PostgreSQL text cannot hold one, so no read could use it.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from django.http import HttpResponseBadRequest, JsonResponse
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from core.time_range import TimeRangeError, parse_range

_WHOLE_NUMBER = re.compile(r"[0-9]{1,19}")  # ASCII digits only, as many as a bigint has
MAX_BIGINT = 2**63 - 1
READ_METHODS = ("GET", "HEAD")
DEFAULT_SPAN = dt.timedelta(hours=24)  # of a range given neither start nor end


def bad_parameter(parameter: str, message: str) -> ValidationError:
    """The API's 400 for one query parameter: {"detail": …, "parameter": …}."""
    return ValidationError({"detail": message, "parameter": parameter})


def whole_number(text: str, parameter: str, minimum: int, maximum: int) -> int:
    """`text` as a whole number in [minimum, maximum], or a 400 naming the parameter."""
    if not (_WHOLE_NUMBER.fullmatch(text.strip()) and minimum <= int(text) <= maximum):
        raise bad_parameter(parameter, f"{parameter}: must be a whole number from {minimum} to {maximum}")
    return int(text)


def whole_number_schema(minimum: int, maximum: int, **extra) -> dict:
    """The schema of a parameter `whole_number` reads: the same bounds, one definition."""
    return {"type": "integer", "minimum": minimum, "maximum": maximum, **extra}


def finite_number(text: str, parameter: str) -> float:
    """`text` as a finite float (not nan, not ±infinity, not 1e309), or a 400."""
    try:
        value = float(text)
    except ValueError:
        raise bad_parameter(parameter, f"{parameter}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise bad_parameter(parameter, f"{parameter}: {text!r} is not a finite number")
    return value


def nul_parameter(request) -> str | None:
    """The name of the first query parameter (or "path") holding a NUL, if any."""
    if "\x00" in request.path:
        return "path"
    for name, values in request.GET.lists():
        if "\x00" in name or any("\x00" in value for value in values):
            return name.replace("\x00", "\\x00")
    return None


class NulParameterMiddleware:
    """A read whose path or query parameters hold a NUL is a 400 naming it.

    The write paths answer bad input in their own formats (line by line,
    InfluxDB's error shape); this covers reads, of the API and the pages.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in READ_METHODS:
            parameter = nul_parameter(request)
            if parameter is not None:
                return _refusal(request, parameter)
        return self.get_response(request)


def _refusal(request, parameter: str):
    message = "contains a NUL character"
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": f"{parameter}: {message}", "parameter": parameter}, status=400)
    return HttpResponseBadRequest(f"{parameter}: {message}", content_type="text/plain; charset=utf-8")


def time_range(request) -> tuple[dt.datetime, dt.datetime]:
    """The request's `start` and `end` (default: the last 24 hours), or a 400 naming the one at fault."""
    try:
        return parse_range(
            request.query_params.get("start"), request.query_params.get("end"), timezone.now(), DEFAULT_SPAN
        )
    except TimeRangeError as exc:
        raise bad_parameter(exc.parameter, str(exc)) from None
