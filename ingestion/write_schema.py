"""OpenAPI descriptions of the write endpoints' answers, with examples.

Only for the schema: the views build these bodies directly (see api.py).
"""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers

# The bodies' grammars (line protocol, CSV, protobuf, the rules of names and
# timestamps) are beyond JSON Schema: the descriptions say them, and a body that
# breaks them is a 400 listing each refused line.
_BODY_RULES = (
    " Metric names and label names follow Prometheus' rules (`[a-zA-Z_:][a-zA-Z0-9_:]*`, labels without"
    " `:`), at most TSMON_MAX_LABELS labels with values up to TSMON_MAX_LABEL_VALUE_LENGTH characters,"
    " finite values, timestamps within [now − retention, now + 10 min]; lines that break them are refused"
    " one by one (a 400 listing them), the others written."
)
JSON_WRITE_BODY = {
    "description": 'Rows `[{"metric", "labels", "ts", "value"}]` (`ts` epoch in `precision`'
    ' or RFC 3339, default now), or one series in columns `{"metric", "labels", "ts": [...],'
    ' "values": [...]}`.' + _BODY_RULES,
    "oneOf": [{"type": "array", "items": {"type": "object"}}, {"type": "object"}],
}
LINE_PROTOCOL_BODY = {
    "type": "string",
    "description": "InfluxDB line protocol, one point per line (gzip with `Content-Encoding: gzip`)."
    + _BODY_RULES,
}
CSV_BODY = {
    "type": "string",
    "description": "`timestamp,value` rows (with `metric`), or a wide table whose header names a column"
    " per series." + _BODY_RULES,
}
REMOTE_WRITE_BODY = {
    "type": "string",
    "format": "binary",
    "description": "A snappy-compressed prometheus.WriteRequest (remote write 1.0)." + _BODY_RULES,
}


DUPLICATES_HELP = (
    "points repeated in the request or already stored, kept as they were (a point sent again within"
    " about a minute of its series' newest may count as written; reads keep its first value all the same)"
)


class WriteCountsSerializer(serializers.Serializer):
    written = serializers.IntegerField(help_text="points newly stored")
    duplicates = serializers.IntegerField(help_text=DUPLICATES_HELP)
    series_created = serializers.IntegerField()


class LineErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="1-based line, row or position in the body")
    reason = serializers.CharField()
    text = serializers.CharField(help_text="the refused line, cut short")


class WriteRefusedSerializer(serializers.Serializer):
    """A 400: some lines refused and the others written (every field), or the
    whole request refused, such as a bad `precision` (`detail` only)."""

    detail = serializers.CharField()
    written = serializers.IntegerField(required=False, help_text="points newly stored")
    duplicates = serializers.IntegerField(required=False, help_text=DUPLICATES_HELP)
    series_created = serializers.IntegerField(required=False)
    errors = LineErrorSerializer(many=True, required=False, help_text="the first 100 refused lines")
    errors_total = serializers.IntegerField(required=False)


class InfluxErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="invalid, unauthorized, forbidden, request too large, unavailable")
    message = serializers.CharField()
    line = serializers.IntegerField(required=False, help_text="the first bad line, on a partial write")


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


JSON_ROWS_EXAMPLE = OpenApiExample(
    "rows",
    value=[
        {"metric": "cpu_usage_percent", "labels": {"host": "web-1"}, "ts": 1795262400, "value": 41.5},
        {"metric": "cpu_usage_percent", "labels": {"host": "web-1"}, "ts": 1795262460, "value": 43.0},
    ],
    request_only=True,
)
JSON_COLUMNS_EXAMPLE = OpenApiExample(
    "one series in columns",
    value={
        "metric": "queue_depth",
        "labels": {"host": "web-1"},
        "ts": [1795262400, 1795262410],
        "values": [12, 9],
    },
    request_only=True,
)
PARTIAL_EXAMPLE = OpenApiExample(
    "partial write",
    value={
        "detail": "1 line(s) refused; the other lines were written. Line 2: value NaN is not a finite number",
        "written": 1,
        "duplicates": 0,
        "series_created": 0,
        "errors": [
            {"line": 2, "reason": "value NaN is not a finite number", "text": '{"metric": "m", "value": NaN}'}
        ],
        "errors_total": 1,
    },
    response_only=True,
    status_codes=["400"],
)
LINE_PROTOCOL_EXAMPLE = OpenApiExample(
    "line protocol",
    value="cpu,host=web-1 usage_idle=97.5,usage_user=1.5 1795262400\nmem,host=web-1 used_percent=41.2 1795262400",
    request_only=True,
)
INFLUX_PARTIAL_EXAMPLE = OpenApiExample(
    "partial write",
    value={
        "code": "invalid",
        "message": "partial write: line 2: expected a field after the tags: 'mem,host=web-1' ; 1 points written",
        "line": 2,
    },
    response_only=True,
    status_codes=["400"],
)


def counts_responses(success_status: int) -> dict:
    """tsmon's own write answers: counts, a partial write, limits, outage."""
    return {
        success_status: WriteCountsSerializer,
        400: OpenApiResponse(
            WriteRefusedSerializer,
            description="some lines refused and the others written, or the whole request refused",
        ),
        401: DetailSerializer,
        403: DetailSerializer,
        413: OpenApiResponse(DetailSerializer, description="body or batch over its limit; nothing written"),
        415: OpenApiResponse(DetailSerializer, description="a Content-Encoding other than gzip"),
        429: DetailSerializer,
        503: OpenApiResponse(DetailSerializer, description="database unavailable; nothing written, retry"),
    }


def remote_write_responses() -> dict:
    """Remote write: 204 like Prometheus expects, tsmon's error bodies otherwise."""
    responses = counts_responses(200)
    del responses[200]
    return {
        204: OpenApiResponse(description="all points written"),
        **responses,
        415: OpenApiResponse(DetailSerializer, description="remote write 2.0 or an unknown encoding"),
    }


def influx_responses() -> dict:
    """InfluxDB-shaped answers of the line-protocol endpoint."""
    codes = {400, 401, 403, 413, 415, 429, 503}
    return {
        204: OpenApiResponse(description="all points written"),
        **{c: InfluxErrorSerializer for c in sorted(codes)},
    }
