"""JSON bodies of ``POST /api/v1/write``: a list of rows, or one series in columns.

Row form, one object per point (``labels`` and ``ts`` optional)::

    [{"metric": "cpu_usage", "labels": {"host": "a"}, "ts": 1700000000, "value": 0.5}, ...]

Columnar form, one series and parallel lists::

    {"metric": "cpu_usage", "labels": {"host": "a"}, "ts": [1700000000, 1700000010], "values": [0.5, 0.7]}

``ts`` is a number in the request's precision (seconds unless told otherwise;
fractions allowed), or an ISO 8601 / RFC 3339 string (UTC when it has no
offset); a row without ``ts`` gets the server's time. Values are JSON numbers;
``null``, strings and booleans are refused. Unknown keys are refused, so a
typo (``"valeu"``) is reported instead of silently dropped.

Errors are numbered by row (row form) or by position in the lists (columnar),
from 1. A body that is not JSON, or not one of the two forms, is one error.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import json
import threading

import orjson

from core.timestamps import check_precision, int_to_us, iso_to_us, number_to_us
from ingestion.parsers.result import ParseResult
from ingestion.samples import Labels, LineError, Sample

_ROW_KEYS = frozenset(("metric", "labels", "ts", "value"))
_COLUMNAR_KEYS = frozenset(("metric", "labels", "ts", "values"))


class RowError(ValueError):
    """One row that cannot be read; the message is the reason."""


def parse_json(body: bytes | str, precision: str = "s", now_us: int = 0) -> ParseResult:
    """Parse a JSON write body in row or columnar form.

    Parameters
    ----------
    body : the request body (UTF-8, or any encoding `json.loads` detects).
    precision : unit of numeric timestamps, one of ns, us, ms, s.
    now_us : the timestamp (µs since the epoch) of rows without ``ts``.

    Never raises for bad input.
    """
    check_precision(precision)
    with _cyclic_gc_paused():
        return _parse_document(body, precision, now_us)


def _parse_document(body: bytes | str, precision: str, now_us: int) -> ParseResult:
    # The decoded document is freed when this returns, inside the GC pause.
    try:
        document = _decode(body)
    except json.JSONDecodeError as exc:
        return ParseResult([], [LineError(exc.lineno, f"invalid JSON: {exc.msg} (column {exc.colno})")])
    except (ValueError, RecursionError) as exc:  # bad encoding, or nesting too deep to decode
        return ParseResult([], [LineError(1, f"invalid JSON: {exc.__class__.__name__}")])
    if isinstance(document, list):
        return _parse_rows(document, precision, now_us)
    if isinstance(document, dict):
        return _parse_columns(document, precision)
    return ParseResult([], [LineError(1, _FORM_HINT)])


# A body of 5,000 rows decodes to 5,000 row dicts, which the cyclic garbage
# collector tracks. They live through the whole parse, so its young
# collections promote them to the oldest generation, and every few requests
# that triggers a full collection over the whole Django process: measured,
# 13 ms per request, a third of a JSON write. The document holds no cycles,
# so the collector is paused while it lives. Threads share the collector:
# the first to pause it and the last to finish decide, and a collector
# already disabled by someone else stays disabled.
_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = False


@contextlib.contextmanager
def _cyclic_gc_paused():
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()


def _decode(body: bytes | str):
    """Decode with orjson, three times faster than the standard library (the
    largest single cost of a JSON write). orjson is strict RFC 8259, so a
    body it refuses goes to the standard decoder, which also reads the NaN
    and Infinity that Python's json.dumps writes and huge integers, letting
    validation refuse just those rows, and explains real syntax errors."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body)


_FORM_HINT = (
    'expected a list of rows [{"metric", "labels", "ts", "value"}] '
    'or one series in columns {"metric", "labels", "ts": [...], "values": [...]}'
)


def _parse_rows(rows: list, precision: str, now_us: int) -> ParseResult:
    samples: list[Sample] = []
    append = samples.append
    errors: list[LineError] = []
    if len(_LABELS_CACHE) > _LABELS_CACHE_MAX_ENTRIES:
        _LABELS_CACHE.clear()
    labels_cache = _LABELS_CACHE
    # Nanosecond timestamps need a floor division; they take the careful path.
    multiplier = 0 if precision == "ns" else int_to_us(1, precision)
    for number, row in enumerate(rows, 1):
        # The common row (four keys, plain types, labels seen before) is
        # taken inline; anything else gets the careful, explaining path.
        if type(row) is dict and len(row) == 4 and multiplier:
            try:
                metric, labels, ts, value = row["metric"], row["labels"], row["ts"], row["value"]
                canonical = labels_cache.get(tuple(labels.items()))
            except (KeyError, TypeError, AttributeError):
                canonical = None
            if (
                canonical is not None
                and type(metric) is str
                and type(ts) is int
                and (type(value) is float or type(value) is int)
                and -_MAX_FAST_VALUE < value < _MAX_FAST_VALUE
            ):
                append(_new_tuple(Sample, (metric, canonical, ts * multiplier, float(value), number)))
                continue
        try:
            append(_parse_row(row, number, precision, now_us, labels_cache))
        except RowError as exc:
            errors.append(LineError(number, str(exc), _preview(row)))
    return ParseResult(samples, errors)


# Label mappings seen before, as item tuples, to their canonical form. The
# mapping depends on the text only, so it is shared across requests: agents
# send the same label sets every interval. Cleared whole when it grows large.
_LABELS_CACHE: dict = {}
_LABELS_CACHE_MAX_ENTRIES = 100_000

# Building a NamedTuple through tuple.__new__ skips its slower Python-level __new__.
_new_tuple = tuple.__new__
# Integers beyond this might not fit a float64; they take the careful path.
_MAX_FAST_VALUE = 2**53


def _parse_row(row: object, number: int, precision: str, now_us: int, labels_cache: dict) -> Sample:
    if not isinstance(row, dict):
        raise RowError(f"row is a {_json_type(row)}, expected an object")
    if not row.keys() <= _ROW_KEYS:
        raise RowError(f"unknown key(s) {sorted(row.keys() - _ROW_KEYS)}; rows have {sorted(_ROW_KEYS)}")
    metric = row.get("metric")
    if not isinstance(metric, str):
        raise RowError('"metric" must be a string')
    labels = _cached_labels(row.get("labels"), labels_cache)
    ts = row.get("ts")
    ts_us = now_us if ts is None else _ts_to_us(ts, precision)
    return Sample(metric, labels, ts_us, _value(row.get("value")), number)


def _parse_columns(document: dict, precision: str) -> ParseResult:
    try:
        if not document.keys() <= _COLUMNAR_KEYS or "values" not in document:
            raise RowError(_FORM_HINT)
        metric = document.get("metric")
        if not isinstance(metric, str):
            raise RowError('"metric" must be a string')
        labels = _labels(document.get("labels"))
        stamps, values = document.get("ts"), document["values"]
        if not isinstance(stamps, list) or not isinstance(values, list):
            raise RowError('"ts" and "values" must be lists')
        if len(stamps) != len(values):
            raise RowError(f'"ts" has {len(stamps)} items but "values" has {len(values)}')
    except RowError as exc:
        return ParseResult([], [LineError(1, str(exc))])
    samples = _plain_columns(metric, labels, stamps, values, precision)
    if samples is not None:
        return ParseResult(samples, [])
    samples = []
    errors: list[LineError] = []
    for number, (ts, value) in enumerate(zip(stamps, values, strict=True), 1):
        try:
            samples.append(Sample(metric, labels, _ts_to_us(ts, precision), _value(value), number))
        except RowError as exc:
            errors.append(LineError(number, str(exc), _preview({"ts": ts, "value": value})))
    return ParseResult(samples, errors)


def _plain_columns(metric: str, labels: Labels, stamps: list, values: list, precision: str) -> list | None:
    """The samples of lists holding only integer ts and plain numbers, built
    without a check per point; None when any point needs the careful path."""
    if precision == "ns":  # nanoseconds need a floor division: careful path
        return None
    if not all(type(ts) is int for ts in stamps):
        return None
    if not all(
        type(value) is float or (type(value) is int and -_MAX_FAST_VALUE < value < _MAX_FAST_VALUE)
        for value in values
    ):
        return None
    multiplier = int_to_us(1, precision)
    return [
        _new_tuple(Sample, (metric, labels, ts * multiplier, float(value), number))
        for number, ts, value in zip(itertools.count(1), stamps, values)
    ]


def _cached_labels(labels: object, cache: dict) -> Labels:
    """Canonical labels, computed once per distinct label mapping of a body."""
    if not isinstance(labels, dict):
        return _labels(labels)
    try:
        key = tuple(labels.items())
        canonical = cache.get(key)
    except TypeError:  # an unhashable value (a list, an object): report it
        return _labels(labels)
    if canonical is None:
        canonical = cache[key] = _labels(labels)
    return canonical


def _labels(labels: object) -> Labels:
    if labels is None:
        return ()
    if not isinstance(labels, dict):
        raise RowError(f'"labels" is a {_json_type(labels)}, expected an object of strings')
    for key, value in labels.items():
        if not isinstance(value, str):
            raise RowError(f"label {key!r} has a {_json_type(value)} value; label values are strings")
    return tuple(sorted(labels.items()))


def _ts_to_us(ts: object, precision: str) -> int:
    try:
        if isinstance(ts, str):
            return iso_to_us(ts)
        if isinstance(ts, (int, float)) and not isinstance(ts, bool):
            return number_to_us(ts, precision)
    except (ValueError, OverflowError):
        raise RowError(f"bad timestamp {str(ts)[:40]!r}") from None
    raise RowError(f'"ts" is a {_json_type(ts)}, expected a number or an ISO 8601 string')


def _value(value: object) -> float:
    if isinstance(value, float):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:
            raise RowError("value is too large for a float64") from None
    if value is None:
        raise RowError('"value" is missing or null')
    raise RowError(f'"value" is a {_json_type(value)}, expected a number')


def _json_type(value: object) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


def _preview(item: object) -> str:
    try:
        text = json.dumps(item, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(item)
    return text if len(text) <= 120 else text[:119] + "…"
