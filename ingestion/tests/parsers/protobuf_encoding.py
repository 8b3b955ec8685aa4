"""A tiny protobuf encoder for remote-write test payloads (tests only)."""

import struct

import cramjam


def varint(number: int) -> bytes:
    number &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = number & 0x7F
        number >>= 7
        if number:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field_bytes(number: int, payload: bytes) -> bytes:
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def sample_message(value: float, ts_ms: int, raw_bits: int | None = None) -> bytes:
    double = struct.pack("<Q", raw_bits) if raw_bits is not None else struct.pack("<d", value)
    return varint(1 << 3 | 1) + double + varint(2 << 3 | 0) + varint(ts_ms)


def series_message(
    labels: dict[str, str], points: list[tuple[float, int]], stale_at: int | None = None
) -> bytes:
    body = b""
    for name, value in labels.items():
        body += field_bytes(1, field_bytes(1, name.encode()) + field_bytes(2, value.encode()))
    for value, ts_ms in points:
        body += field_bytes(2, sample_message(value, ts_ms))
    if stale_at is not None:
        body += field_bytes(2, sample_message(0.0, stale_at, raw_bits=0x7FF0000000000002))
    return body


def write_request(series: list[bytes], metadata: bytes = b"") -> bytes:
    body = b"".join(field_bytes(1, item) for item in series)
    if metadata:
        body += field_bytes(3, metadata)
    return body


def compress(message: bytes) -> bytes:
    return bytes(cramjam.snappy.compress_raw(message))
