"""InfluxDB line protocol, as InfluxDB 2's write API and Telegraf send it.

    measurement[,tag=value...] field=value[,field=value...] [timestamp]

How lines become samples (the documented mapping):

- Each numeric field of a line is one sample. Its metric name is
  ``<measurement>_<field>``, or just ``<measurement>`` for a field named
  ``value``; tags become labels. ``cpu,host=a usage_idle=98.5`` is the series
  ``cpu_usage_idle{host="a"}``.
- Characters a Prometheus name cannot hold are replaced by ``_`` in metric
  names and tag keys, as Telegraf's Prometheus output does (so ``disk.io`` is
  ``disk_io``); validation then applies the naming rules to the result.
- Two fields of a line that map to one metric (``a.b`` and ``a_b``, or a
  key given twice) refuse the line: one of the values would be lost.
- Field types: floats (``1.5``, ``1e3``), integers (``1i``) and unsigned
  integers (``1u``) become samples (as float64, as Prometheus keeps every
  value: an integer beyond 2^53 is stored as the nearest float64). Booleans (``t``, ``true``...)
  and strings (``"text"``) are valid line protocol but not metrics: they are
  skipped without an error, so a line with only such fields stores nothing.
- The timestamp is an integer in the request's precision (ns, us, ms, s);
  without one the line gets the server's time. Storage keeps microseconds, so
  nanoseconds are truncated (towards the past), and two points of a series
  within one microsecond are one point: the first value is kept.
- A tag with an empty value (``model=``) is no label, as on every write
  path (InfluxDB itself refuses the line).
- Escapes follow InfluxDB: in the measurement ``\\,`` and ``\\ ``; in tag keys,
  tag values and field keys also ``\\=``; in string fields ``\\"`` and ``\\\\``.
  A backslash before any other character is kept as it is.
- Blank lines and lines starting with ``#`` are ignored. Lines are numbered
  from 1 over the whole body, blank and comment lines included.

A line is taken whole or refused whole: one malformed field refuses its line.
"""

from __future__ import annotations

import re

import numpy as np

from core.timestamps import check_precision, int_to_us
from ingestion.parsers.line_scan import scan_common_lines
from ingestion.parsers.result import ParseResult, shorten
from ingestion.samples import Labels, LineError, Sample, SampleColumns

_NOT_METRIC_CHAR = re.compile(r"[^a-zA-Z0-9_:]")
_NOT_LABEL_CHAR = re.compile(r"[^a-zA-Z0-9_]")
_BOOLEANS = frozenset(("t", "T", "true", "True", "TRUE", "f", "F", "false", "False", "FALSE"))
_MAX_UINT64 = 2**64 - 1
_MIN_INT64, _MAX_INT64 = -(2**63), 2**63 - 1

# Characters a backslash escapes in each part of a line.
_ESCAPABLE_MEASUREMENT = ", "
_ESCAPABLE_KEY = ",= "


class LineSyntaxError(ValueError):
    """A line that is not valid line protocol; the message is the reason."""


def parse_line_protocol(body: str, precision: str = "ns", now_us: int = 0) -> ParseResult:
    """Parse a line-protocol body into samples and per-line errors.

    Parameters
    ----------
    body : the request body, already decoded (UTF-8).
    precision : unit of the timestamps, one of ns, us, ms, s.
    now_us : the timestamp (µs since the epoch) of lines that carry none.

    Never raises for bad input: each refused line becomes a `LineError`.
    """
    parsed = parse_line_protocol_columns(body, precision, now_us)
    return ParseResult(list(parsed.samples), parsed.errors)


def parse_line_protocol_columns(body: str, precision: str = "ns", now_us: int = 0) -> ParseResult:
    """`parse_line_protocol` with the samples as `SampleColumns` (what the
    write endpoints hand on, to skip building a tuple per sample) when most
    lines have the common shape, else as a list.

    Lines of the common shape (ingestion.parsers.line_scan) are cut for the
    whole body at once; every other line, and any whose key part or value
    the cut could not take, is read by the exact parser, so what is
    accepted and refused, and why, is the exact parser's.
    """
    check_precision(precision)
    parser = _LineParser(precision, now_us)
    lines = body.split("\n")
    if not (body.isascii() and _mostly_common(body, precision)):
        _parse_lines(parser, enumerate(lines, 1))
        return ParseResult(parser.samples, parser.errors)
    common, others = _parse_common_lines(parser, body)
    _parse_lines(parser, ((number, lines[number - 1]) for number in others))
    return ParseResult(_merged(common, parser.samples), parser.errors)


_PROBE_CHARS = 8_192


def _mostly_common(body: str, precision: str) -> bool:
    """Whether the body's first lines are mostly of the common shape: a
    body of Telegraf's many-field lines (cpu, mem) is read line by line at
    once, without a scan that would find little."""
    head = scan_common_lines(body[:_PROBE_CHARS], precision)
    return len(head.numbers) >= len(head.other_lines)


def parse_line_protocol_exactly(body: str, precision: str = "ns", now_us: int = 0) -> ParseResult:
    """Every line through the exact parser, none through a fast path: the
    reference the fast paths are tested against."""
    check_precision(precision)
    parser = _LineParser(precision, now_us)
    for number, line in enumerate(body.split("\n"), 1):
        parser.parse(number, line)
    return ParseResult(parser.samples, parser.errors)


def _parse_common_lines(parser: _LineParser, body: str) -> tuple[SampleColumns, list[int]]:
    """Samples of the body's lines of the common shape, and the numbers of
    the lines left for the exact parser, in order."""
    scanned = scan_common_lines(body, parser.precision)
    parts = scanned.series_parts
    distinct = list(dict.fromkeys(parts))  # each series once per body, not once per line
    single = parser.single_field
    series = [single.get(part) or parser.resolve_single(part) for part in distinct]
    position = {part: i for i, part in enumerate(distinct)}
    index = np.fromiter(map(position.__getitem__, parts), dtype=np.intp, count=len(parts))
    values, is_float = _floats(scanned.value_texts)
    taken = np.fromiter((s is not False for s in series), dtype=bool, count=len(series))[index]
    taken &= is_float & scanned.read
    ts_us = scanned.timestamps[taken] // parser.divisor * parser.multiplier
    columns = SampleColumns(series, index[taken], ts_us, values[taken], scanned.numbers[taken])
    if False in series:
        columns = columns.compacted()  # no entry for a key part only the exact parser could read
    others = np.union1d(scanned.other_lines, scanned.numbers[~taken]).tolist()
    return columns, others


def _line_of(sample: Sample) -> int:
    return sample[4]


def _floats(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The float of each text, and whether it was one: line protocol's
    floats are what `float` reads, less those with a `_` (1_000)."""
    if "_" not in "".join(texts):
        try:
            return np.fromiter(map(float, texts), np.float64, count=len(texts)), np.ones(len(texts), bool)
        except ValueError:
            pass
    values, is_float = np.zeros(len(texts)), np.zeros(len(texts), dtype=bool)
    for i, text in enumerate(texts):
        if "_" not in text:
            try:
                values[i], is_float[i] = float(text), True
            except ValueError:
                pass
    return values, is_float


def _merged(common: SampleColumns, others: list[Sample]) -> SampleColumns | list[Sample]:
    """The samples of both parsers in payload order: as `SampleColumns`, or
    as a list when most are the exact parser's or a timestamp is past int64
    (which validation then refuses)."""
    if not others:
        return common
    if len(others) > len(common) or any(not _MIN_INT64 <= s.ts_us <= _MAX_INT64 for s in others):
        return sorted([*common, *others], key=_line_of)
    series = common.series + [(s.metric, s.labels) for s in others]
    start = len(common.series)
    index = np.concatenate((common.series_index, np.arange(start, start + len(others))))
    ts_us = np.concatenate((common.ts_us, np.array([s.ts_us for s in others], dtype=np.int64)))
    values = np.concatenate((common.values, np.array([s.value for s in others], dtype=np.float64)))
    lines = np.concatenate((common.lines, np.array([s.line for s in others], dtype=np.int64)))
    order = np.argsort(lines, kind="stable")  # a line's samples keep their order
    return SampleColumns(series, index, ts_us, values, lines).take(order)


def _parse_lines(parser: _LineParser, numbered_lines) -> None:
    """Parse (number, line) pairs: lines without escapes, quotes or control
    characters with plain string methods, any other line, valid or not, with
    the careful `parser.parse` (which strips surrounding whitespace such as
    tabs)."""
    samples = parser.samples
    append = samples.append
    resolve = parser.resolve
    resolved = parser.resolved
    default_ts_us = parser.default_ts_us
    divisor, multiplier = parser.divisor, parser.multiplier
    for number, line in numbered_lines:
        if "\\" in line or '"' in line or not line.isascii() or not line.isprintable() or line[:1] == "#":
            parser.parse(number, line)
            continue
        parts = line.split(" ")
        if len(parts) == 3 and parts[2].isdigit():
            ts_us = int(parts[2]) // divisor * multiplier
        elif len(parts) == 2:
            ts_us = default_ts_us
        else:
            parser.parse(number, line)
            continue
        mark = len(samples)
        key = parts[0]
        try:
            for item in parts[1].split(","):
                name, _, text = item.partition("=")
                if text[-1] not in _DIGITS or "_" in text:
                    raise LineSyntaxError
                metric, labels = resolved.get((key, name)) or resolve(key, name)
                append(Sample(metric, labels, ts_us, float(text), number))
            if len(samples) - mark > 1 and len({s[0] for s in samples[mark:]}) < len(samples) - mark:
                raise LineSyntaxError  # one metric twice: the careful parse says why
        except (LineSyntaxError, ValueError, IndexError):
            del samples[mark:]
            parser.parse(number, line)


_DIGITS = frozenset("0123456789.")


class _Cache:
    """What resolving the key part of a line computed, kept across calls.

    The mappings depend on the text only, so sharing them between requests
    is safe; agents send the same series every interval, so most lookups
    hit. Cleared whole when it grows past `_CACHE_MAX_ENTRIES` (rare; simple).
    """

    def __init__(self):
        self.clear()

    def clear(self) -> None:
        self.series: dict[str, tuple[str, Labels]] = {}
        self.metrics: dict[tuple[str, str], str] = {}
        self.resolved: dict[tuple[str, str], tuple[str, Labels]] = {}
        self.single_field: dict[str, tuple[str, Labels]] = {}


_CACHE = _Cache()
_CACHE_MAX_ENTRIES = 100_000


class _LineParser:
    """Parses lines one at a time, caching what repeats between lines.

    Most lines of a batch repeat a few measurement+tag sets, so the key part
    (everything before the first space) is resolved to a metric prefix and a
    canonical label tuple once and looked up afterwards.
    """

    def __init__(self, precision: str, now_us: int):
        self.precision = precision
        self.default_ts_us = int_to_us(_now_in_units(now_us, precision), precision)
        self.samples: list[Sample] = []
        self.errors: list[LineError] = []
        if len(_CACHE.resolved) > _CACHE_MAX_ENTRIES or len(_CACHE.single_field) > _CACHE_MAX_ENTRIES:
            _CACHE.clear()
        self._series = _CACHE.series
        self._metrics = _CACHE.metrics
        self.resolved = _CACHE.resolved
        self.single_field = _CACHE.single_field
        self.divisor, self.multiplier = (1_000, 1) if precision == "ns" else (1, int_to_us(1, precision))

    def resolve_single(self, series_part: str) -> tuple[str, Labels] | bool:
        """Metric and labels of ``key field`` (a line up to its last ``=``),
        or False when that is not exactly one plain key part and one field."""
        key, sep, field = series_part.partition(" ")
        if not (sep and field) or " " in field or "," in field or "=" in field:
            return False  # not cached: such text differs from line to line
        try:
            resolved = self.resolve(key, field)
        except LineSyntaxError:
            return False
        self.single_field[series_part] = resolved
        return resolved

    def resolve(self, key: str, field: str) -> tuple[str, Labels]:
        """Metric name and labels of one field of a key part without escapes."""
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = _plain_series(key)
        if not field:
            raise LineSyntaxError("missing field key")
        resolved = self.resolved[(key, field)] = (self._metric(series[0], field), series[1])
        return resolved

    def parse(self, number: int, raw: str) -> None:
        line = raw.strip()
        if not line or line[0] == "#":
            return
        try:
            if "\\" in line or '"' in line:
                measurement, labels, fields, ts_text = _split_escaped(line)
            else:
                measurement, labels, fields, ts_text = self._split_plain(line)
            ts_us = self._timestamp(ts_text)
            values = [(key, _field_value(key, text)) for key, text in fields]
        except LineSyntaxError as exc:
            self.errors.append(LineError(number, str(exc), shorten(line)))
            return
        named = [(self._metric(measurement, key), key, value) for key, value in values if value is not None]
        clash = _same_metric_twice(named)
        if clash:
            self.errors.append(LineError(number, clash, shorten(line)))
            return
        append = self.samples.append
        for metric, _key, value in named:
            append(Sample(metric, labels, ts_us, value, number))

    def _split_plain(self, line: str) -> tuple[str, Labels, list[tuple[str, str]], str | None]:
        """Split a line without escapes or quotes with plain string methods."""
        parts = line.split(" ")
        if "" in parts:  # runs of spaces between the parts
            parts = [part for part in parts if part]
        if len(parts) == 2:
            key, field_text, ts_text = parts[0], parts[1], None
        elif len(parts) == 3:
            key, field_text, ts_text = parts
        elif len(parts) < 2:
            raise LineSyntaxError("missing fields")
        else:
            raise LineSyntaxError("unexpected text after the timestamp")
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = _plain_series(key)
        fields = []
        for item in field_text.split(","):
            name, sep, text = item.partition("=")
            if not sep:
                raise LineSyntaxError(f"field {item!r} has no '='")
            fields.append((name, text))
        return series[0], series[1], fields, ts_text

    def _timestamp(self, text: str | None) -> int:
        if text is None:
            return self.default_ts_us
        digits = text[1:] if text[:1] == "-" else text
        if not (digits.isascii() and digits.isdigit()):
            raise LineSyntaxError(f"bad timestamp {shorten(text, 40)!r}: expected an integer")
        return int_to_us(int(text), self.precision)

    def _metric(self, measurement: str, field: str) -> str:
        metric = self._metrics.get((measurement, field))
        if metric is None:
            name = measurement if field == "value" else f"{measurement}_{field}"
            metric = self._metrics[(measurement, field)] = _NOT_METRIC_CHAR.sub("_", name)
        return metric


def _same_metric_twice(named: list[tuple[str, str, float]]) -> str | None:
    """Why a line is refused whose fields name one series twice (`a.b` and
    `a_b`, or one key repeated): one of the values would be lost."""
    first_field = {}
    for metric, key, _value in named:
        if metric in first_field:
            return f"fields {first_field[metric]!r} and {key!r} both map to metric {metric!r}"
        first_field[metric] = key
    return None


def _now_in_units(now_us: int, precision: str) -> int:
    """Express `now_us` in `precision` units, truncated as InfluxDB truncates
    the server time it gives to lines without a timestamp."""
    if precision == "ns":
        return now_us * 1_000
    return now_us // {"us": 1, "ms": 1_000, "s": 1_000_000}[precision]


def _plain_series(key: str) -> tuple[str, Labels]:
    """Measurement and canonical labels of a key part without escapes."""
    measurement, *tags = key.split(",")
    if not measurement:
        raise LineSyntaxError("missing measurement")
    pairs = []
    for tag in tags:
        name, sep, value = tag.partition("=")
        if not sep:
            raise LineSyntaxError(f"tag {tag!r} has no '='")
        if "=" in value:
            raise LineSyntaxError(f"tag value {value!r} holds an unescaped '='")
        pairs.append((name, value))
    return measurement, _labels(pairs)


def _labels(pairs: list[tuple[str, str]]) -> Labels:
    """Check tag pairs and return them as canonical (sanitized, sorted) labels."""
    labels = {}
    for name, value in pairs:
        if not name:
            raise LineSyntaxError("missing tag key")
        if not value:
            continue  # an empty value is no label (Prometheus' rule, on every write path)
        key = _NOT_LABEL_CHAR.sub("_", name)
        if key in labels:
            raise LineSyntaxError(f"duplicate tag key {key!r}")
        labels[key] = value
    return tuple(sorted(labels.items()))


def _field_value(key: str, text: str) -> float | None:
    """The float value of a numeric field; None for booleans and strings."""
    if not key:
        raise LineSyntaxError("missing field key")
    if not text:
        raise LineSyntaxError(f"missing value for field {key!r}")
    last = text[-1]
    try:
        if last == "i" or last == "u":
            return _integer_field(key, text)
        if text in _BOOLEANS or text[0] == '"':
            return None
        if "_" in text or not text.isascii():
            raise ValueError
        return float(text)
    except LineSyntaxError:
        raise
    except (ValueError, OverflowError):
        raise LineSyntaxError(f"invalid value {shorten(text, 40)!r} for field {key!r}") from None


def _integer_field(key: str, text: str) -> float:
    digits = text[:-1]
    bare = digits[1:] if digits[:1] == "-" else digits
    if not (bare.isascii() and bare.isdigit()):
        raise ValueError
    number = int(digits)
    if text[-1] == "u" and not 0 <= number <= _MAX_UINT64:
        raise LineSyntaxError(f"unsigned integer {text!r} of field {key!r} is out of range")
    if text[-1] == "i" and not _MIN_INT64 <= number <= _MAX_INT64:
        raise LineSyntaxError(f"integer {text!r} of field {key!r} is out of range")
    return float(number)


def _split_escaped(line: str) -> tuple[str, Labels, list[tuple[str, str]], str | None]:
    """Split a line that has backslash escapes or quoted strings, one character
    scan at a time. Returned field texts keep their quotes, so a string field
    is still recognised as one."""
    measurement, pos = _scan(line, 0, ", ", _ESCAPABLE_MEASUREMENT)
    if not measurement:
        raise LineSyntaxError("missing measurement")
    pairs = []
    while pos < len(line) and line[pos] == ",":
        name, pos = _scan(line, pos + 1, ",= ", _ESCAPABLE_KEY)
        if pos >= len(line) or line[pos] != "=":
            raise LineSyntaxError(f"tag {name!r} has no '='")
        value, pos = _scan(line, pos + 1, ", =", _ESCAPABLE_KEY)
        if pos < len(line) and line[pos] == "=":
            raise LineSyntaxError(f"tag value {value!r} holds an unescaped '='")
        pairs.append((name, value))
    labels = _labels(pairs)
    pos = _skip_spaces(line, pos)
    if pos >= len(line):
        raise LineSyntaxError("missing fields")
    fields = []
    while True:
        name, pos = _scan(line, pos, ",= ", _ESCAPABLE_KEY)
        if pos >= len(line) or line[pos] != "=":
            raise LineSyntaxError(f"field {name!r} has no '='")
        if line[pos + 1 : pos + 2] == '"':
            text, pos = _scan_string(line, pos + 1)
        else:
            text, pos = _scan(line, pos + 1, ", ", "")
        fields.append((name, text))
        if pos < len(line) and line[pos] == ",":
            pos += 1
            continue
        break
    pos = _skip_spaces(line, pos)
    if pos >= len(line):
        return measurement, labels, fields, None
    ts_text = line[pos:].rstrip(" ")
    if " " in ts_text:
        raise LineSyntaxError("unexpected text after the timestamp")
    return measurement, labels, fields, ts_text


def _scan(line: str, pos: int, stops: str, escapable: str) -> tuple[str, int]:
    """Read from `pos` up to the first unescaped character of `stops`.

    Returns the unescaped text and the position of the stop (or the end).
    """
    out = []
    end = len(line)
    while pos < end:
        char = line[pos]
        if char == "\\" and pos + 1 < end and line[pos + 1] in escapable:
            out.append(line[pos + 1])
            pos += 2
            continue
        if char in stops:
            break
        out.append(char)
        pos += 1
    return "".join(out), pos


def _scan_string(line: str, pos: int) -> tuple[str, int]:
    """Read a double-quoted string field starting at `pos` (the opening quote)."""
    out = ['"']
    pos += 1
    end = len(line)
    while pos < end:
        char = line[pos]
        if char == "\\" and pos + 1 < end and line[pos + 1] in '"\\':
            out.append(line[pos + 1])
            pos += 2
            continue
        if char == '"':
            out.append('"')
            return "".join(out), pos + 1
        out.append(char)
        pos += 1
    raise LineSyntaxError("unterminated string field")


def _skip_spaces(line: str, pos: int) -> int:
    while pos < len(line) and line[pos] == " ":
        pos += 1
    return pos
