"""Reading write-request bodies within a size bound, gzip included.

The bound applies to the decompressed size, so a small gzip body that
inflates to gigabytes (a gzip bomb) is refused after at most `max_bytes`
have been produced, never held in memory whole.
"""

from __future__ import annotations

import zlib
from typing import BinaryIO

_CHUNK = 256 * 1024


class BodyTooLarge(Exception):
    """The body, or what it decompresses to, is over the limit."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        super().__init__(f"request body is over the limit of {max_bytes} bytes (decompressed)")


class BadBody(Exception):
    """The body cannot be decoded (unknown encoding, broken gzip)."""

    def __init__(self, message: str, unsupported_encoding: bool = False):
        self.unsupported_encoding = unsupported_encoding
        super().__init__(message)


def read_body(stream: BinaryIO, content_length: int | None, content_encoding: str, max_bytes: int) -> bytes:
    """Read the body from `stream` and decode its Content-Encoding (gzip or none).

    Raises BodyTooLarge when the body or its decompressed form exceeds
    `max_bytes`, BadBody when it cannot be decoded.
    """
    encoding = (content_encoding or "identity").strip().lower()
    if encoding not in ("identity", "gzip", "x-gzip"):
        raise BadBody(f"unsupported Content-Encoding {content_encoding!r} (use gzip or none)", True)
    if content_length is not None and content_length > max_bytes:
        raise BodyTooLarge(max_bytes)
    raw = _read_at_most(stream, max_bytes)
    if encoding == "identity":
        return raw
    return gunzip(raw, max_bytes)


def _read_at_most(stream: BinaryIO, max_bytes: int) -> bytes:
    chunks = []
    size = 0
    while True:
        chunk = stream.read(min(_CHUNK, max_bytes + 1 - size))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > max_bytes:
            raise BodyTooLarge(max_bytes)


def gunzip(data: bytes, max_bytes: int) -> bytes:
    """Decompress gzip `data` (one or more members) to at most `max_bytes`."""
    out = []
    size = 0
    while data:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            part = inflater.decompress(data, max_bytes + 1 - size)
        except zlib.error as exc:
            raise BadBody(f"body is not valid gzip: {exc}") from None
        size += len(part)
        if size > max_bytes or inflater.unconsumed_tail:
            raise BodyTooLarge(max_bytes)
        if not inflater.eof:
            raise BadBody("gzip body is truncated")
        out.append(part)
        data = inflater.unused_data
    return b"".join(out)


def decode_utf8(body: bytes) -> tuple[str, list[int]]:
    """Decode a text body; return the text and the 1-based lines that were
    not valid UTF-8 (replaced by empty lines, so numbering is kept)."""
    try:
        return body.decode("utf-8"), []
    except UnicodeDecodeError:
        pass
    lines = body.split(b"\n")
    bad = []
    for index, line in enumerate(lines):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            bad.append(index + 1)
            lines[index] = b""
    return b"\n".join(lines).decode("utf-8"), bad
