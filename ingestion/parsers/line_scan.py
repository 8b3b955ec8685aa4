"""Finding the lines of the common shape in a whole line-protocol body at once.

The shape is what Telegraf and most clients send for counters and gauges:

    key field=value timestamp

with exactly two spaces, one field (one ``=`` after the first space), a
timestamp of ASCII digits short enough for int64 microseconds, no ``_`` in
the value, no backslash, quote or control character anywhere, and not
starting with ``#``. Such a line means the same whether the exact parser
reads it or it is cut by position, so a body's lines of this shape are
found with numpy over the whole body (positions of spaces, ``=`` and
newlines, searched per line) and cut into parts by one split of the whole
text. Every other line goes on, by number, to the exact parser, and so does
any whose key part the caller finds invalid or whose value is no float.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

_NEWLINE, _SPACE, _EQUALS = 10, 32, 61
# Digits a timestamp of each precision may have so that its microseconds
# cannot overflow int64: longer ones are left to the exact parser, which
# refuses or keeps them as it always has.
_MAX_DIGITS = {"ns": 19, "us": 18, "ms": 15, "s": 12}
_INT64_MAX = np.iinfo(np.int64).max


class ScannedLines(NamedTuple):
    numbers: np.ndarray  # 1-based numbers of the lines of the common shape
    series_parts: list[str]  # per such line: its text before the value's '=' ("key field")
    value_texts: list[str]  # its value
    timestamps: np.ndarray  # its timestamp in the body's precision (int64)
    read: np.ndarray  # whether the timestamp was all digits (else the line is the exact parser's)
    other_lines: np.ndarray  # numbers of every other line (blank ones included)


def scan_common_lines(body: str, precision: str) -> ScannedLines:
    """Split an ASCII `body` into its lines of the common shape, cut into
    parts, and the numbers of the others."""
    buf = np.frombuffer(body.encode("ascii"), dtype=np.uint8)
    starts, ends = _line_bounds(buf)
    lines, s2, eq = _of_the_common_shape(body, buf, starts, ends, precision)
    others = np.ones(len(starts), dtype=bool)
    others[lines] = False
    numbers = np.arange(1, len(starts) + 1)
    if not len(lines):
        return ScannedLines(lines, [], [], np.zeros(0, dtype=np.int64), lines.astype(bool), numbers)
    # NUL (which no such line holds) after the series part, the value and
    # the timestamp: one split of the whole text then cuts every line.
    cut = np.zeros(len(buf) + 1, dtype=np.uint8)
    cut[:-1] = buf
    cut[eq] = cut[s2] = cut[ends[lines]] = 0
    if len(lines) < len(starts):
        cut = cut[_ranges(starts[lines], ends[lines] + 1)]
    parts = cut.tobytes().decode("ascii").split("\x00")[:-1]  # the last NUL ends the text
    timestamps, read = _integers(parts[2::3])
    return ScannedLines(lines + 1, parts[0::3], parts[1::3], timestamps, read, numbers[others])


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The positions of every [start, end) range, one after the other."""
    lengths = ends - starts
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    return offsets + np.arange(lengths.sum())


def _integers(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The int64 value of each text of ASCII digits, and whether it was one.

    numpy reads them all in one call, but it takes a sign, a lone "-" (as
    0) and saturates past int64; text with a sign, or any numpy refuses or
    saturates, is read by int() one by one.
    """
    joined = " ".join(texts)
    if "-" not in joined and "+" not in joined:
        try:
            values = np.fromstring(joined, dtype=np.int64, sep=" ")
        except ValueError:  # a character that is no digit
            values = np.zeros(0, dtype=np.int64)
        if len(values) == len(texts) and not (values == _INT64_MAX).any():
            return values, np.ones(len(texts), dtype=bool)
    values, read = np.zeros(len(texts), dtype=np.int64), np.zeros(len(texts), dtype=bool)
    for i, text in enumerate(texts):
        if text.isdigit() and int(text) <= _INT64_MAX:
            values[i], read[i] = int(text), True
    return values, read


def _of_the_common_shape(body: str, buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, precision: str):
    """The lines (0-based) of `buf` of the common shape, with the position
    of their second space and of their value's '='. What is checked as the
    parts are read is not checked here: a timestamp's digits (`_integers`),
    a `_` in the value (the caller's float reading), a `,` in the field key
    (`resolve_single` refuses it) or in the value (no float has one)."""
    lines = np.flatnonzero(~_holds_odd_bytes(body, buf, starts, ends))  # candidates, narrowed below
    spaces = np.flatnonzero(buf == _SPACE)
    first = np.searchsorted(spaces, starts[lines])
    lines, first = _keep(np.searchsorted(spaces, ends[lines]) - first == 2, lines, first)
    s1, s2 = spaces[first], spaces[first + 1]
    equals = np.flatnonzero(buf == _EQUALS)
    first = np.searchsorted(equals, s1)
    lines, s1, s2, first = _keep(np.searchsorted(equals, s2) - first == 1, lines, s1, s2, first)
    eq, line_starts, line_ends = equals[first], starts[lines], ends[lines]
    shaped = (
        (s1 > line_starts)  # a key part
        & (eq > s1 + 1)  # a field key
        & (s2 > eq + 1)  # a value
        & (line_ends > s2 + 1)  # a timestamp
        & (line_ends - s2 - 1 <= _MAX_DIGITS[precision])
        & (buf[line_starts] != ord("#"))
    )
    return lines[shaped], s2[shaped], eq[shaped]


def _keep(mask: np.ndarray, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    return tuple(array[mask] for array in arrays)


def _line_bounds(buf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) of each line, as `str.split("\\n")` cuts them."""
    newlines = np.flatnonzero(buf == _NEWLINE)
    starts = np.concatenate(([0], newlines + 1))
    ends = np.concatenate((newlines, [len(buf)]))
    return starts, ends


def _holds(buf: np.ndarray, mask: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Whether each range [start, end) of `buf` holds a byte of `mask`."""
    where = np.flatnonzero(mask)
    if not len(where):  # the usual answer for most masks: no searching
        return np.zeros(len(starts), dtype=bool)
    return np.searchsorted(where, ends) > np.searchsorted(where, starts)


def _holds_odd_bytes(body: str, buf: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Whether each line holds a backslash, a quote or a control character:
    the exact parser reads escapes and strings, and strips surrounding
    whitespace such as tabs; the cut does none of that."""
    if "\\" not in body and '"' not in body and body.replace("\n", " ").isprintable():
        return np.zeros(len(starts), dtype=bool)  # the usual body: no numpy pass
    odd = (buf < _SPACE) | (buf == ord("\\")) | (buf == ord('"'))
    odd[buf == _NEWLINE] = False
    return _holds(buf, odd, starts, ends)
