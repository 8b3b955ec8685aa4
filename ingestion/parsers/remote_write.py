"""Prometheus remote write (protocol 1.0): a snappy-compressed protobuf
``WriteRequest``, as a Prometheus server's ``remote_write`` sends it.

The protobuf is small and stable, so it is decoded here by hand (about sixty
lines) rather than through generated code and the protobuf runtime::

    message WriteRequest { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
    message TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2;
                           repeated Exemplar exemplars = 3; repeated Histogram histograms = 4; }
    message Label        { string name = 1; string value = 2; }
    message Sample       { double value = 1; int64 timestamp = 2; }   // timestamp in ms

- The ``__name__`` label is the metric; the other labels are the labels.
- Metadata, exemplars and native histograms are skipped (not stored).
- Samples whose value is not a finite number are neither stored nor
  refused: tsmon stores finite values only, and a refused batch would count
  as failed samples in Prometheus. Staleness markers (the special NaN
  Prometheus sends when a series disappears: an end, not a value) are
  returned as the result's `ends`; other NaNs and ±Inf (some of
  Prometheus' own metrics carry them) are skipped.
- Errors are numbered by time series in the request, from 1. A body that is
  not snappy or not a WriteRequest is one error for the whole request.
- `decompressed_size` reads the size the snappy block announces, so a caller
  can refuse an oversize body before decompressing it.
"""

from __future__ import annotations

import struct
from math import isfinite

import cramjam

from ingestion.parsers.result import ParseResult
from ingestion.samples import LineError, Sample

STALE_NAN_BITS = 0x7FF0000000000002
_DOUBLE = struct.Struct("<d")
_UINT64 = struct.Struct("<Q")
_MASK64 = (1 << 64) - 1


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
    samples: list[Sample] = []
    ends: list[Sample] = []
    errors: list[LineError] = []
    number = 0
    try:
        for field, _, start, end in _fields(message, 0, len(message)):
            if field == 1:
                number += 1
                _read_series(message, start, end, number, (samples, ends), errors)
    except ProtobufError as exc:
        errors.append(LineError(number or 1, f"malformed WriteRequest: {exc}"))
    return ParseResult(samples, errors, tuple(ends))


def _read_series(
    buf: bytes, start: int, end: int, number: int, into: tuple[list, list], errors: list
) -> None:
    """Append the series' finite samples to `into[0]` and its staleness markers to `into[1]`."""
    labels: dict[str, str] = {}
    points: list[tuple[int, float]] = []
    markers: list[tuple[int, float]] = []
    for field, _, field_start, field_end in _fields(buf, start, end):
        if field == 1:
            name, value = _read_label(buf, field_start, field_end)
            if name in labels:
                errors.append(LineError(number, f"label {name!r} appears twice"))
                return
            labels[name] = value
        elif field == 2:
            ts_ms, value, stale = _read_sample(buf, field_start, field_end)
            if isfinite(value):
                points.append((ts_ms, value))
            elif stale:
                markers.append((ts_ms, value))
    metric = labels.pop("__name__", None)
    if not metric:
        if points:
            errors.append(LineError(number, "time series without a __name__ label"))
        return
    canonical = tuple(sorted(labels.items()))
    for found, kept in zip((points, markers), into, strict=True):
        kept.extend(Sample(metric, canonical, ts_ms * 1_000, value, number) for ts_ms, value in found)


def _read_label(buf: bytes, start: int, end: int) -> tuple[str, str]:
    name = value = ""
    for field, _, field_start, field_end in _fields(buf, start, end):
        if field in (1, 2):
            try:
                text = buf[field_start:field_end].decode("utf-8")
            except UnicodeDecodeError:
                raise ProtobufError("label is not valid UTF-8") from None
            if field == 1:
                name = text
            else:
                value = text
    return name, value


def _read_sample(buf: bytes, start: int, end: int) -> tuple[int, float, bool]:
    """(timestamp ms, value, whether it is a staleness marker) of a Sample message."""
    value, ts_ms, stale = 0.0, 0, False
    for field, wire_type, field_start, field_end in _fields(buf, start, end):
        if field == 1 and wire_type == 1:
            value = _DOUBLE.unpack_from(buf, field_start)[0]
            if value != value:  # NaN: a staleness marker, or another NaN
                stale = _UINT64.unpack_from(buf, field_start)[0] == STALE_NAN_BITS
        elif field == 2 and wire_type == 0:
            ts_ms = field_end & _MASK64
            if ts_ms >= 1 << 63:  # int64 is sent as its two's complement
                ts_ms -= 1 << 64
    return ts_ms, value, stale


def _fields(buf: bytes, pos: int, end: int):
    """Yield (field number, wire type, start, end) for each field of a message.

    For varints, `end` is the decoded value itself (there is nothing to slice).
    """
    while pos < end:
        key, pos = _varint(buf, pos)
        field, wire_type = key >> 3, key & 7
        if field == 0:
            raise ProtobufError("field number 0")
        if wire_type == 0:
            value, pos = _varint(buf, pos)
            yield field, wire_type, pos, value
            continue
        if wire_type == 1:
            size = 8
        elif wire_type == 5:
            size = 4
        elif wire_type == 2:
            size, pos = _varint(buf, pos)
        else:
            raise ProtobufError(f"unsupported wire type {wire_type}")
        if pos + size > end:
            raise ProtobufError("field runs past the end of its message")
        yield field, wire_type, pos, pos + size
        pos += size


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
