"""HTTP write endpoints: JSON, InfluxDB v2 line protocol, CSV; Prometheus remote write
(ingestion.remote_write_api) and InfluxDB 1.x (ingestion.influx_v1) build on WriteView here.

Each view reads its body within the size bound, parses it, and hands the
result to `ingestion.ingest.ingest` (validation, then one write
transaction). The answers follow one policy:

- all good: 204 (InfluxDB, remote write) or 200 with counts (tsmon's own API);
- some lines bad: the good ones are written, and the answer is 400 naming
  each bad line and its reason (InfluxDB's partial write);
- body or batch too large: 413 with the limit, nothing written;
- a new series over its source's series limit: its lines are refused like
  bad lines (400 naming them and the limit), the others are written;
- the database unreachable or failing: 503 with Retry-After, nothing
  written, and a retry is safe (writes are idempotent).

Bad input never gets a 5xx: agents such as Telegraf retry those forever.
"""

from __future__ import annotations

import logging
import time

import psycopg2
from django.db import DatabaseError
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from core import statement_timeouts
from core.instruments import observe_write_request
from core.scopes import ApiScope
from ingestion import write_schema
from ingestion.auth import requester_source
from ingestion.bodies import BadBody, BodyTooLarge, decode_utf8, read_body
from ingestion.ingest import IngestOutcome, TooManyPoints, ingest, max_body_bytes, to_us
from ingestion.models import ApiKey
from ingestion.parsers import (
    PRECISIONS,
    ParseResult,
    parse_csv,
    parse_json,
    parse_label_option,
)
from ingestion.parsers.line_protocol import parse_line_protocol_columns
from ingestion.parsers.result import shorten
from ingestion.samples import LineError

logger = logging.getLogger(__name__)

MAX_ERRORS_LISTED = 100
RETRY_AFTER_SECONDS = "5"
# InfluxDB 1.x clients say n/u for ns/us; InfluxDB 2 accepts them too.
_PRECISION_ALIASES = {"n": "ns", "u": "us", "µs": "us"}


def precision_parameter(default: str, description: str) -> OpenApiParameter:
    """`?precision=`: the values `precision_param` reads (aliases, and empty for the default)."""
    return OpenApiParameter(
        "precision",
        str,
        enum=["", *PRECISIONS, *_PRECISION_ALIASES],
        description=f"{description}; empty: the default ({default})",
    )


class InputError(Exception):
    """A request tsmon refuses as a whole, with its HTTP status."""

    def __init__(self, message: str, status_code: int = status.HTTP_400_BAD_REQUEST):
        self.status_code = status_code
        super().__init__(message)


class AnswerInJson(DefaultContentNegotiation):
    """Write answers are JSON (or empty) whatever the client accepts.

    The influxdb 1.x client asks for `application/x-msgpack`; a 406 there
    would refuse a write for the shape of an answer it does not read.
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class WriteView(APIView):
    """Shared plumbing of the write endpoints; subclasses parse and answer."""

    required_scope = ApiScope.WRITE
    renderer_classes = [JSONRenderer]
    content_negotiation_class = AnswerInJson

    def dispatch(self, request, *args, **kwargs):
        started = time.perf_counter()
        response = super().dispatch(request, *args, **kwargs)
        # Every answer counts, a refused key or a 503 as much as a write.
        observe_write_request(request.path, response.status_code, time.perf_counter() - started)
        return response

    def post(self, request):
        now = timezone.now()
        try:
            parsed = self.parse(request, now)
            # Long-lived web workers write series spans every few seconds, not every batch.
            outcome = ingest(
                parsed, now, source=requester_source(request), key=_api_key(request), lazy_spans=True
            )
        except (BodyTooLarge, TooManyPoints) as exc:
            return self.failure(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "request too large", str(exc))
        except BadBody as exc:
            code = (
                status.HTTP_415_UNSUPPORTED_MEDIA_TYPE
                if exc.unsupported_encoding
                else status.HTTP_400_BAD_REQUEST
            )
            return self.failure(code, "invalid", str(exc))
        except InputError as exc:
            return self.failure(exc.status_code, "invalid", str(exc))
        if outcome.errors:
            return self.partial(outcome)
        return self.success(outcome)

    def parse(self, request, now) -> ParseResult:
        raise NotImplementedError

    def handle_exception(self, exc):
        """A database failure anywhere (checking the key, writing) is a 503:
        nothing was written and the client's retry is safe."""
        # copy_expert errors arrive as psycopg2's own, unwrapped by Django.
        if isinstance(exc, (DatabaseError, psycopg2.Error)):
            logger.exception("write failed in the database; answering 503")
            response = self.failure(
                status.HTTP_503_SERVICE_UNAVAILABLE, "unavailable", _unavailable_reason(exc)
            )
            response["Retry-After"] = RETRY_AFTER_SECONDS
            return response
        return super().handle_exception(exc)

    def success(self, outcome: IngestOutcome) -> Response:
        return Response(_counts(outcome), status=status.HTTP_200_OK)

    def partial(self, outcome: IngestOutcome) -> Response:
        first = outcome.errors[0]
        body = {
            "detail": f"{len(outcome.errors)} line(s) refused; the other lines were written. {_describe(first)}",
            **_counts(outcome),
            **_error_list(outcome.errors),
        }
        return Response(body, status=status.HTTP_400_BAD_REQUEST)

    def failure(self, status_code: int, code: str, message: str) -> Response:
        return Response({"detail": message}, status=status_code)

    def body(self, request, allow_gzip: bool = True) -> bytes:
        """The request body, decompressed and within TSMON_MAX_BODY_BYTES."""
        length = request.META.get("CONTENT_LENGTH")
        encoding = request.META.get("HTTP_CONTENT_ENCODING", "") if allow_gzip else ""
        try:
            content_length = int(length) if length else None
        except ValueError:
            content_length = None
        return read_body(request._request, content_length, encoding, max_body_bytes())

    def text(self, request) -> tuple[str, list[LineError]]:
        """The body as text, and an error for each line that is not UTF-8."""
        text, bad_lines = decode_utf8(self.body(request))
        return text, [LineError(line, "line is not valid UTF-8") for line in bad_lines]


def _api_key(request) -> ApiKey | None:
    """The key that authenticated the request (a logged-in user's upload has none)."""
    return request.auth if isinstance(request.auth, ApiKey) else None


def precision_param(request, default: str) -> str:
    value = request.query_params.get("precision", default) or default
    value = _PRECISION_ALIASES.get(value, value)
    if value not in PRECISIONS:
        raise InputError(f"precision {value!r} is not one of {', '.join(PRECISIONS)}")
    return value


def _unavailable_reason(exc: Exception) -> str:
    """Why a write failed in the database: the writes' statement limit, named
    (a batch too large for it), or the database itself."""
    if statement_timeouts.is_statement_timeout(exc):
        return f"nothing was written: {statement_timeouts.timeout_message(statement_timeouts.WRITES)}"
    return "the database is unavailable; nothing was written, retry later"


def _counts(outcome: IngestOutcome) -> dict:
    return {
        "written": outcome.written,
        "duplicates": outcome.duplicates,
        "series_created": outcome.series_created,
    }


def _error_list(errors: list[LineError]) -> dict:
    listed = [{"line": e.line, "reason": e.reason, "text": e.text} for e in errors[:MAX_ERRORS_LISTED]]
    return {"errors": listed, "errors_total": len(errors)}


def _quote_lines(errors: list[LineError], text: str) -> list[LineError]:
    """Errors found after parsing (by validation) quote the line as sent."""
    lines = text.split("\n")
    return [
        error._replace(text=shorten(lines[error.line - 1].strip())) if 0 < error.line <= len(lines) else error
        for error in errors
    ]


def _describe(error: LineError) -> str:
    where = f"line {error.line}: {error.reason}"
    return f"{where}: {error.text!r}" if error.text else where


class JsonWriteView(WriteView):
    """``POST /api/v1/write``: JSON rows or one series in columns (see ingestion.parsers.json_rows)."""

    @extend_schema(
        summary="Write points as JSON",
        parameters=[precision_parameter("s", "Unit of numeric ts: s (default), ms, us, ns")],
        request={"application/json": write_schema.JSON_WRITE_BODY},
        responses=write_schema.counts_responses(200),
        examples=[
            write_schema.JSON_ROWS_EXAMPLE,
            write_schema.JSON_COLUMNS_EXAMPLE,
            write_schema.PARTIAL_EXAMPLE,
        ],
    )
    def post(self, request):
        return super().post(request)

    def parse(self, request, now) -> ParseResult:
        return parse_json(self.body(request), precision_param(request, "s"), to_us(now))


class InfluxWriteView(WriteView):
    """``POST /api/v2/write``: InfluxDB v2 compatible line protocol.

    ``bucket`` is required and ``org`` accepted, as InfluxDB's clients send
    them, but tsmon keeps one namespace: neither is stored. Errors use
    InfluxDB's JSON shape ``{"code", "message"}``, with tsmon's per-line
    ``errors`` list added.
    """

    @extend_schema(
        summary="Write line protocol (InfluxDB v2 compatible)",
        parameters=[
            OpenApiParameter(
                "bucket", str, required=True, allow_blank=False, description="accepted, not stored"
            ),
            OpenApiParameter("org", str, description="accepted, not stored"),
            precision_parameter("ns", "ns (default), us, ms, s"),
        ],
        request={"text/plain": write_schema.LINE_PROTOCOL_BODY},
        responses=write_schema.influx_responses(),
        examples=[write_schema.LINE_PROTOCOL_EXAMPLE, write_schema.INFLUX_PARTIAL_EXAMPLE],
    )
    def post(self, request):
        return super().post(request)

    def parse(self, request, now) -> ParseResult:
        if not request.query_params.get("bucket"):
            raise InputError("bucket is required (?bucket=...)")
        return self.parse_lines(request, now)

    def parse_lines(self, request, now) -> ParseResult:
        """The body as line protocol in the request's precision (/write of 1.x too)."""
        precision = precision_param(request, "ns")
        text, encoding_errors = self.text(request)
        self.body_text = text  # for quoting refused lines as they were sent
        parsed = parse_line_protocol_columns(text, precision, to_us(now))
        if encoding_errors:
            return ParseResult(parsed.samples, sorted(parsed.errors + encoding_errors))
        return parsed

    def success(self, outcome: IngestOutcome) -> Response:
        return Response(status=status.HTTP_204_NO_CONTENT)

    def partial(self, outcome: IngestOutcome) -> Response:
        outcome = outcome._replace(errors=_quote_lines(outcome.errors, self.body_text))
        first = outcome.errors[0]
        message = f"partial write: {_describe(first)}"
        if len(outcome.errors) > 1:
            message += f" (and {len(outcome.errors) - 1} more bad lines)"
        message += f"; {outcome.written} points written"
        body = {"code": "invalid", "message": message, "line": first.line, **_error_list(outcome.errors)}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)

    def failure(self, status_code: int, code: str, message: str) -> Response:
        return Response({"code": code, "message": message}, status=status_code)

    def handle_exception(self, exc):
        """Answer authentication and permission errors in InfluxDB's shape too."""
        response = super().handle_exception(exc)
        if isinstance(response.data, dict) and "detail" in response.data and "code" not in response.data:
            code = {401: "unauthorized", 403: "forbidden", 405: "method not allowed"}.get(
                response.status_code, "invalid"
            )
            response.data = {"code": code, "message": str(response.data["detail"])}
        return response


class CsvWriteView(WriteView):
    """``POST /api/v1/write/csv``: a CSV table (see ingestion.parsers.csv_table).

    The table is the raw body (``Content-Type: text/csv``) or the ``file``
    field of a multipart form; ``metric``, ``labels`` (``k=v,k2=v2``) and
    ``precision`` come from the query string.
    """

    @extend_schema(
        summary="Upload a CSV table (timestamp,value or wide)",
        parameters=[
            OpenApiParameter("metric", str, description="the metric of a timestamp,value table; empty: none"),
            OpenApiParameter(
                "labels",
                str,
                description="k=v,k2=v2 added to every series (label names follow Prometheus' rules: a bad "
                "one is a 400)",
            ),
            precision_parameter("s", "Unit of numeric timestamps: s (default), ms, us, ns"),
        ],
        request={"text/csv": write_schema.CSV_BODY},
        responses=write_schema.counts_responses(200),
    )
    def post(self, request):
        return super().post(request)

    def parse(self, request, now) -> ParseResult:
        try:
            labels = parse_label_option(request.query_params.get("labels", ""))
        except ValueError as exc:
            raise InputError(str(exc)) from None
        metric = request.query_params.get("metric") or None
        precision = precision_param(request, "s")
        if request.content_type.startswith("multipart/form-data"):
            raw = self._uploaded_file(request)
        else:
            raw = self.body(request)
        text, bad_lines = decode_utf8(raw)
        if bad_lines:
            raise InputError(f"line {bad_lines[0]} is not valid UTF-8")
        return parse_csv(text, metric, labels, precision)

    def _uploaded_file(self, request) -> bytes:
        limit = max_body_bytes()
        # Checked before touching FILES, which would spool any size to disk.
        if int(request.META.get("CONTENT_LENGTH") or 0) > limit:
            raise BodyTooLarge(limit)
        upload = request.FILES.get("file")
        if upload is None:
            raise InputError("multipart upload without a 'file' field")
        return upload.read()
