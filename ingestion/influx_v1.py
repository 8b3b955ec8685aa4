"""InfluxDB 1.x compatibility: ``POST /write`` and ``GET|HEAD /ping``.

Telegraf's ``outputs.influxdb`` (the 1.x output, still the most common),
collectd bridges and the 1.x client libraries write here. The body is the
same line protocol as ``/api/v2/write``; what differs is the envelope:

- ``db`` names the database (required, as InfluxDB requires it; tsmon keeps
  one namespace and stores neither ``db`` nor ``rp``);
- precision is ``n``, ``u``, ``ms`` or ``s`` (InfluxDB's ``m`` and ``h`` are
  refused by name);
- the key comes as the password of HTTP Basic auth or of ``?u=…&p=…``, as
  1.x clients send credentials, or as ``Authorization: Token <key>``;
- errors are ``{"error": "…"}``, a partial write's message starting
  ``partial write:`` as InfluxDB's does.

Telegraf asks ``CREATE DATABASE`` through ``/query`` at start-up; without that
endpoint it logs a warning and writes anyway (or set
``skip_database_creation = true``).
"""

from __future__ import annotations

import base64
import binascii

from django.http import HttpResponse
from django.views.decorators.http import require_safe
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import authentication, exceptions, serializers, status
from rest_framework.response import Response

from ingestion import write_schema
from ingestion.api import InfluxWriteView, InputError, precision_parameter
from ingestion.auth import ApiKeyAuthentication, authenticate_key
from ingestion.ingest import IngestOutcome
from ingestion.parsers import ParseResult

VERSION_HEADER = "1.8.10-tsmon"


class BasicOrQueryKeyAuthentication(authentication.BaseAuthentication):
    """The API key as the password of HTTP Basic auth, or as ``?p=``; the user name is ignored."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if header and header[0].lower() == b"basic":
            return authenticate_key(_basic_password(header))
        password = request.query_params.get("p")
        return authenticate_key(password) if password else None

    def authenticate_header(self, request) -> str:
        return 'Basic realm="tsmon"'


def _basic_password(header: list[bytes]) -> str:
    """The password of an ``Authorization: Basic …`` header split at spaces."""
    try:
        if len(header) != 2:
            raise ValueError
        user_and_password = base64.b64decode(header[1], validate=True).decode("utf-8")
    except (ValueError, binascii.Error):
        raise exceptions.AuthenticationFailed("Malformed Basic credentials.") from None
    _user, sep, password = user_and_password.partition(":")
    if not sep:
        raise exceptions.AuthenticationFailed("Malformed Basic credentials: no password.")
    return password


class InfluxV1ErrorSerializer(serializers.Serializer):
    error = serializers.CharField()


class InfluxV1WriteView(InfluxWriteView):
    """``POST /write?db=…``: InfluxDB 1.x compatible line protocol."""

    authentication_classes = [ApiKeyAuthentication, BasicOrQueryKeyAuthentication]

    @extend_schema(
        summary="Write line protocol (InfluxDB 1.x compatible)",
        parameters=[
            OpenApiParameter("db", str, required=True, allow_blank=False, description="accepted, not stored"),
            OpenApiParameter("rp", str, description="accepted, not stored"),
            precision_parameter("ns", "n (default), u, ms, s"),
            OpenApiParameter("u", str, description="user name (ignored)"),
            OpenApiParameter("p", str, description="the API key, if not sent as Basic auth or Token"),
        ],
        request={"text/plain": write_schema.LINE_PROTOCOL_BODY},
        responses={
            204: OpenApiResponse(description="all points written"),
            **{c: InfluxV1ErrorSerializer for c in (400, 401, 403, 413, 415, 429, 503)},
        },
        examples=[write_schema.LINE_PROTOCOL_EXAMPLE],
    )
    def post(self, request):
        return super().post(request)

    def parse(self, request, now) -> ParseResult:
        if not request.query_params.get("db"):
            raise InputError("database is required (?db=...)")
        return self.parse_lines(request, now)

    def partial(self, outcome: IngestOutcome) -> Response:
        response = super().partial(outcome)  # InfluxDB v2's shape, with the lines quoted
        return Response({"error": response.data["message"]}, status=response.status_code)

    def failure(self, status_code: int, code: str, message: str) -> Response:
        return Response({"error": message}, status=status_code)

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        if isinstance(response.data, dict) and "error" not in response.data:
            message = response.data.get("message") or response.data.get("detail")
            response.data = {"error": str(message)}
        return response


@require_safe
def ping(request):
    """``/ping``: 204 with the version header InfluxDB clients look for; no key needed."""
    response = HttpResponse(status=status.HTTP_204_NO_CONTENT)
    response["X-Influxdb-Version"] = VERSION_HEADER
    response["X-Influxdb-Build"] = "OSS"
    return response
