"""Request timing, the Content-Security-Policy, statement timeouts per request, and the
person's time zone on the pages."""

from __future__ import annotations

import logging
import time

from django.db import connection
from django.utils import timezone

from core import statement_timeouts, time_zones

logger = logging.getLogger("tsmon.requests")


class RequestTimingMiddleware:
    """Add `X-Request-Duration-ms` and log method, path, status and duration.

    It sits first in MIDDLEWARE so the duration covers the whole stack.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = (time.perf_counter() - started) * 1000.0
        response["X-Request-Duration-ms"] = f"{duration_ms:.1f}"
        logger.info(
            "%s %s %s %.1fms",
            request.method,
            request.path,
            response.status_code,
            duration_ms,
        )
        return response


# Pages load scripts, styles and images only from tsmon itself (charts are
# inline SVG, so `data:` images suffice); style attributes stay allowed for
# the score bars. Labels are escaped in templates already: this is the second
# line of defence should one ever slip through.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'"
)


class ContentSecurityPolicyMiddleware:
    """Send a Content-Security-Policy on every response that lacks one.

    `frame-ancestors` follows X-Frame-Options (set further down the stack):
    pages that allow same-origin framing (the report document) get 'self',
    all others 'none'.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            framing = "'self'" if response.get("X-Frame-Options") == "SAMEORIGIN" else "'none'"
            response["Content-Security-Policy"] = f"{CONTENT_SECURITY_POLICY}; frame-ancestors {framing}"
        return response


class StatementTimeoutMiddleware:
    """Bound each request's SQL statements by the limit of its kind (API read,
    write, page: `core.statement_timeouts`), and answer a statement that the
    limit cancelled with a 503 naming it.

    The kind is known once the URL is resolved; the limit is set before the
    request's first statement, so a request that needs no database (the
    schema, say) opens no connection for it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with connection.execute_wrapper(statement_timeouts.BoundStatements(request)):
            return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        request.statement_timeout_kind = statement_timeouts.request_kind(request, view_func)
        return None

    def process_exception(self, request, exception):
        if not statement_timeouts.is_statement_timeout(exception):
            return None
        kind = getattr(request, "statement_timeout_kind", statement_timeouts.PAGES)
        logger.warning("%s %s: %s", request.method, request.path, statement_timeouts.timeout_message(kind))
        return statement_timeouts.timeout_response(kind)


def follows_person_zone(view_func) -> bool:
    """Pages (the web app's `*_pages` modules) are drawn in the person's time
    zone; the API answers in UTC offsets whoever asks."""
    module = getattr(view_func, "__module__", "")
    return module.startswith("web.") and module.endswith("_pages")


class PersonTimeZoneMiddleware:
    """Activate the person's time zone (core.time_zones) for the pages that
    follow it, so their `date` filters, messages and pickers use it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    def process_view(self, request, view_func, view_args, view_kwargs):
        if follows_person_zone(view_func):
            request.person_zone = time_zones.person_zone(request)
            timezone.activate(request.person_zone.tzinfo)
        return None
