"""Request timing: a response header and one log line per request."""

from __future__ import annotations

import logging
import time

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
