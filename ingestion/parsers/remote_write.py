"""Prometheus remote write (protocol 1.0): a snappy-compressed protobuf
``WriteRequest``, as a Prometheus server's ``remote_write`` sends it.

The protobuf is decoded by the protobuf runtime (its C implementation,
upb), with the messages declared in ingestion.parsers.prompb: 3.2x the
speed of the hand-written decoder it replaced (median of 9 interleaved
rounds, 1,000 series x 5 samples: 563 k vs 176 k samples/s).

- The ``__name__`` label is the metric; the other labels are the labels.
- Metadata, exemplars and native histograms are skipped (not stored).
- Samples whose value is not a finite number are neither stored nor
  refused: tsmon stores finite values only, and a refused batch would count
  as failed samples in Prometheus. Staleness markers (the special NaN
  Prometheus sends when a series disappears: an end, not a value) are
  returned as the result's `ends`; other NaNs and ±Inf (some of
  Prometheus' own metrics carry them) are skipped.
- Errors are numbered by time series in the request, from 1. A body that is
  not snappy or not a WriteRequest (a string that is not UTF-8 among them)
  is one error for the whole request.
- `decompressed_size` reads the size the snappy block announces, so a caller
  can refuse an oversize body before decompressing it.
"""

from __future__ import annotations

import struct
from math import isfinite

import cramjam
from google.protobuf.message import DecodeError

from ingestion.parsers.prompb import WriteRequest
from ingestion.parsers.result import ParseResult
from ingestion.samples import LineError, Sample

STALE_NAN_BITS = 0x7FF0000000000002
_DOUBLE = struct.Struct("<d")
_UINT64 = struct.Struct("<Q")


class ProtobufError(ValueError):
    """The bytes are not a well-formed WriteRequest."""


def decompressed_size(body: bytes) -> int:
    """The uncompressed length announced at the start of a snappy block."""
    try:
        size, _ = _varint(body, 0)
    except ProtobufError:
        raise ProtobufError("not a snappy block: no length header") from None
    return size


def parse_remote_write(body: bytes, max_decompressed: int | None = None) -> ParseResult:
    """Decompress and decode a WriteRequest into samples.

    Raises ProtobufError only when the announced size exceeds `max_decompressed`
    (the caller answers 413); any other bad input becomes a LineError.
    """
    size = decompressed_size(body)
    if max_decompressed is not None and size > max_decompressed:
        raise ProtobufError(f"decompressed body of {size} bytes exceeds the limit of {max_decompressed}")
    try:
        message = bytes(cramjam.snappy.decompress_raw(body))
    except Exception as exc:  # noqa: BLE001 (cramjam raises its own error type)
        return ParseResult([], [LineError(1, f"body is not snappy-compressed: {exc}"[:200])])
    return parse_write_request(message)


def parse_write_request(message: bytes) -> ParseResult:
    """Decode an uncompressed WriteRequest protobuf into samples."""
    request = WriteRequest()
    try:
        request.ParseFromString(message)
    except DecodeError as exc:  # the runtime does not say where: the request is one error
        return ParseResult([], [LineError(1, f"malformed WriteRequest: {exc}")])
    samples: list[Sample] = []
    ends: list[Sample] = []
    errors: list[LineError] = []
    for number, series in enumerate(request.timeseries, 1):
        try:
            _read_series(series, number, (samples, ends), errors)
        except UnicodeDecodeError:
            return ParseResult([], [LineError(number, "malformed WriteRequest: label is not valid UTF-8")])
    return ParseResult(samples, errors, tuple(ends))


def _read_series(series, number: int, into: tuple[list, list], errors: list) -> None:
    """Append the series' finite samples to `into[0]` and its staleness markers to `into[1]`.

    Raises UnicodeDecodeError for a label that is not UTF-8.
    """
    pairs = [(label.name.decode(), label.value.decode()) for label in series.labels]
    labels = dict(pairs)
    if len(labels) < len(pairs):
        names = [name for name, _ in pairs]
        twice = next(name for name in labels if names.count(name) > 1)
        errors.append(LineError(number, f"label {twice!r} appears twice"))
        return
    metric = labels.pop("__name__", None)
    if not metric:
        if series.samples:
            errors.append(LineError(number, "time series without a __name__ label"))
        return
    canonical = tuple(sorted(labels.items()))
    samples, ends = into
    for sample in series.samples:
        value = sample.value
        if isfinite(value):
            samples.append(Sample(metric, canonical, sample.timestamp * 1_000, value, number))
        elif _is_stale_marker(value):
            ends.append(Sample(metric, canonical, sample.timestamp * 1_000, value, number))


def _is_stale_marker(value: float) -> bool:
    """Prometheus' staleness marker is one NaN among many: its exact bits say it."""
    return value != value and _UINT64.unpack(_DOUBLE.pack(value))[0] == STALE_NAN_BITS


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ProtobufError("truncated varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise ProtobufError("varint longer than 10 bytes")
