"""The Prometheus remote write receiver: `POST /api/v1/prom/write`."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from ingestion import write_schema
from ingestion.api import InputError, WriteView
from ingestion.bodies import BodyTooLarge
from ingestion.ingest import IngestOutcome, max_body_bytes
from ingestion.parsers import ParseResult, ProtobufError, decompressed_size, parse_remote_write


class PrometheusRemoteWriteView(WriteView):
    """``POST /api/v1/prom/write``: Prometheus remote write 1.0 (snappy + protobuf).

    Point a Prometheus server at it with::

        remote_write:
          - url: http://tsmon:8000/api/v1/prom/write
            authorization: {credentials: <write key>}
    """

    @extend_schema(
        summary="Prometheus remote write receiver",
        request={"application/x-protobuf": write_schema.REMOTE_WRITE_BODY},
        responses=write_schema.remote_write_responses(),
    )
    def post(self, request):
        return super().post(request)

    def parse(self, request, now) -> ParseResult:
        content_type = request.META.get("CONTENT_TYPE", "")
        if "io.prometheus.write.v2" in content_type:
            raise InputError(
                "remote write 2.0 is not supported; send protocol 1.0 (prometheus.WriteRequest)",
                status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            )
        encoding = request.META.get("HTTP_CONTENT_ENCODING", "snappy").strip().lower()
        if encoding != "snappy":
            raise InputError(f"Content-Encoding {encoding!r}: remote write bodies are snappy", 415)
        body = self.body(request, allow_gzip=False)
        limit = max_body_bytes()
        try:
            if decompressed_size(body) > limit:
                raise BodyTooLarge(limit)
            return parse_remote_write(body, limit)
        except ProtobufError as exc:
            raise InputError(str(exc)) from None

    def success(self, outcome: IngestOutcome) -> Response:
        return Response(status=status.HTTP_204_NO_CONTENT)
