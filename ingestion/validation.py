"""The rules every sample must pass before it is written, whatever its path.

- Metric names follow Prometheus: ``[a-zA-Z_:][a-zA-Z0-9_:]*``.
- Label keys follow Prometheus: ``[a-zA-Z_][a-zA-Z0-9_]*``, and keys starting
  with ``__`` are reserved (Prometheus uses them internally).
- Names and keys are at most `Limits.max_name_length` characters; a series has
  at most `Limits.max_labels` labels; label values are at most
  `Limits.max_label_value_length` characters, valid UTF-8 and free of NUL
  (PostgreSQL text cannot hold it). A ``host`` value is at most 253
  characters, a DNS name's limit (it names the series' Source). The whole
  series key is at most `Limits.max_series_key_bytes` bytes.
- A label with an empty value is no label, as in Prometheus: it is left
  out of the series (node_exporter's `node_os_info` sends several).
- Values must be finite: NaN and ±infinity are refused, not stored as gaps,
  so a gap in a series always means "no point was sent".
- Timestamps must lie in [now − retention, now + 10 minutes]: older points
  would land in partitions already dropped, and far-future points are almost
  always a wrong precision or a broken clock.

A payload line is stored whole or refused whole: when one sample of a line is
refused (one field of a line-protocol line, say), the line's other samples
are refused with it, and the line gets one error, the first found.

Pure functions: `now_us` is passed in, no settings or clock are read here.
"""

from __future__ import annotations

import math
import re
from typing import NamedTuple

import numpy as np

from core.timestamps import us_to_iso
from ingestion.parsers.result import ParseResult
from ingestion.samples import Labels, LineError, Sample, SampleColumns

METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_KEY = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
US_PER_DAY = 86_400 * 1_000_000
MAX_HOST_LENGTH = 253


class Limits(NamedTuple):
    """Bounds for one write; the defaults match the settings' defaults."""

    retention_days: int = 30
    max_future_us: int = 10 * 60 * 1_000_000
    max_labels: int = 30
    max_label_value_length: int = 1024
    max_name_length: int = 200
    # The series key `metric{k="v",...}` has a unique B-tree index, whose
    # entries PostgreSQL caps at about 2,700 bytes; past that an insert fails.
    max_series_key_bytes: int = 2048


DEFAULT_LIMITS = Limits()
_UNSEEN = object()


def validate_samples(samples: list[Sample], now_us: int, limits: Limits = DEFAULT_LIMITS) -> ParseResult:
    """Split samples into those that pass every rule and one error per refused line.

    The accepted samples keep their order. Errors are ordered by line.
    `SampleColumns` come back as `SampleColumns`, checked per series and
    per array.
    """
    if isinstance(samples, SampleColumns):
        return _validate_columns(samples, now_us, limits)
    oldest_us = now_us - limits.retention_days * US_PER_DAY
    newest_us = now_us + limits.max_future_us
    series_reasons: dict[tuple[str, Labels], str | None] = {}
    known_valid = _valid_series(limits)
    without_empty: dict[tuple[str, Labels], Labels] = {}  # series keys with empty label values
    accepted: list[Sample] = []
    append = accepted.append
    errors: dict[int, LineError] = {}
    isfinite = math.isfinite
    for sample in samples:
        metric, labels, ts_us, value, line = sample
        key = (metric, labels)
        reason = None if key in known_valid else series_reasons.get(key, _UNSEEN)
        if reason is _UNSEEN:
            kept = _non_empty(labels)
            if kept is not labels:
                without_empty[key] = kept
            reason = series_reasons[key] = series_error(metric, kept, limits)
            if reason is None and kept is labels:
                known_valid.add(key)
        if reason is None and oldest_us <= ts_us <= newest_us and isfinite(value):
            append(
                sample._replace(labels=without_empty[key])
                if without_empty and key in without_empty
                else sample
            )
            continue
        if reason is None:
            reason = point_error(ts_us, value, oldest_us, newest_us, limits)
        if line not in errors:
            errors[line] = LineError(line, reason, describe(sample))
    if errors:
        accepted = [sample for sample in accepted if sample.line not in errors]
    return ParseResult(accepted, sorted(errors.values()))


def _validate_columns(columns: SampleColumns, now_us: int, limits: Limits) -> ParseResult:
    """`validate_samples` of columns: each series entry checked once, each
    point's time and value by numpy, and only refused points one by one."""
    oldest_us = now_us - limits.retention_days * US_PER_DAY
    newest_us = now_us + limits.max_future_us
    reasons, kept = _series_verdicts(columns.series, limits)
    refused_series = np.fromiter((r is not None for r in reasons), dtype=bool, count=len(reasons))
    ts, values = columns.ts_us, columns.values
    good = ~refused_series[columns.series_index] & (ts >= oldest_us) & (ts <= newest_us) & np.isfinite(values)
    if good.all():
        return ParseResult(columns.with_series(kept), [])
    errors: dict[int, LineError] = {}
    for position in np.flatnonzero(~good).tolist():
        sample = columns[position]
        if sample.line not in errors:
            reason = reasons[columns.series_index[position]]
            if reason is None:
                reason = point_error(sample.ts_us, sample.value, oldest_us, newest_us, limits)
            errors[sample.line] = LineError(sample.line, reason, describe(sample))
    good &= ~np.isin(columns.lines, list(errors))  # a line is refused whole
    return ParseResult(columns.take(good).with_series(kept), sorted(errors.values()))


def _series_verdicts(series: list[tuple[str, Labels]], limits: Limits):
    """Why each (metric, labels) entry cannot be a series (None if it can),
    and the entry as stored (labels with an empty value left out)."""
    known_valid = _valid_series(limits)
    reasons: list[str | None] = []
    kept_series = []
    for entry in series:
        if entry in known_valid:
            reasons.append(None)
            kept_series.append(entry)
            continue
        metric, labels = entry
        kept = _non_empty(labels)
        reason = series_error(metric, kept, limits)
        if reason is None and kept is labels:
            known_valid.add(entry)
        reasons.append(reason)
        kept_series.append(entry if kept is labels else (metric, kept))
    return reasons, kept_series


def _non_empty(labels: Labels) -> Labels:
    """`labels` without those whose value is empty (the same object if none is)."""
    if all(value != "" for _, value in labels):
        return labels
    return tuple(pair for pair in labels if pair[1] != "")


# Series (metric, labels) that passed the rules under the current limits.
# Agents send the same series every interval, and checking names and label
# values again each time cost a fifth of a JSON write; the answer depends on
# the text and the limits only, so it is kept across requests.
_VALID_SERIES: dict[Limits, set] = {}
_VALID_SERIES_MAX = 200_000


def _valid_series(limits: Limits) -> set:
    known = _VALID_SERIES.get(limits)
    if known is None or len(known) > _VALID_SERIES_MAX:
        _VALID_SERIES.clear()  # new limits, or too many: start over
        known = _VALID_SERIES[limits] = set()
    return known


def series_error(metric: str, labels: Labels, limits: Limits = DEFAULT_LIMITS) -> str | None:
    """Why this metric name and label set cannot be a series, or None."""
    if not isinstance(metric, str) or not METRIC_NAME.fullmatch(metric):
        return f"metric name {metric!r} is not a valid Prometheus name ([a-zA-Z_:][a-zA-Z0-9_:]*)"
    if len(metric) > limits.max_name_length:
        return f"metric name is {len(metric)} characters long, over the limit of {limits.max_name_length}"
    if len(labels) > limits.max_labels:
        return f"{len(labels)} labels, over the limit of {limits.max_labels} per series"
    seen = set()
    for key, value in labels:
        reason = label_error(key, value, limits)
        if reason is not None:
            return reason
        if key in seen:
            return f"label {key!r} appears twice"
        seen.add(key)
    size = series_key_bytes(metric, labels)
    if size > limits.max_series_key_bytes:
        return f"series key is {size} bytes long, over the limit of {limits.max_series_key_bytes}"
    return None


def series_key_bytes(metric: str, labels: Labels) -> int:
    """Length in bytes of the series key `metric{k="v",...}`, escapes included."""
    size = len(metric) + (2 if labels else 0)
    for key, value in labels:
        escapes = value.count("\\") + value.count('"') + value.count("\n")
        size += len(key) + len(value.encode("utf-8")) + escapes + 4  # k="v",
    return size


def label_error(key: str, value: str, limits: Limits = DEFAULT_LIMITS) -> str | None:
    """Why this label key and value cannot be stored, or None."""
    if not isinstance(key, str) or not LABEL_KEY.fullmatch(key):
        return f"label key {key!r} is not a valid Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)"
    if key.startswith("__"):
        return f"label key {key!r} is reserved: keys starting with '__' are for internal use"
    if len(key) > limits.max_name_length:
        return f"label key {key[:40]!r}… is {len(key)} characters long, over the limit of {limits.max_name_length}"
    if not isinstance(value, str):
        return f"label {key!r} has a {type(value).__name__} value; label values are strings"
    if len(value) > limits.max_label_value_length:
        return (
            f"label {key!r} value is {len(value)} characters long, "
            f"over the limit of {limits.max_label_value_length}"
        )
    if key == "host" and len(value) > MAX_HOST_LENGTH:
        return f"label 'host' value is {len(value)} characters long, over a host name's limit of {MAX_HOST_LENGTH}"
    if "\x00" in value:
        return f"label {key!r} value contains a NUL character"
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return f"label {key!r} value is not valid UTF-8"
    return None


def point_error(
    ts_us: int, value: float, oldest_us: int, newest_us: int, limits: Limits = DEFAULT_LIMITS
) -> str | None:
    """Why this timestamp and value cannot be stored, or None."""
    if not math.isfinite(value):
        return f"value {value!r} is not a finite number (NaN and infinity are refused)"
    if ts_us < oldest_us:
        return (
            f"timestamp {us_to_iso(ts_us)} is older than the retention period of {limits.retention_days} days"
        )
    if ts_us > newest_us:
        minutes = limits.max_future_us // 60_000_000
        return f"timestamp {us_to_iso(ts_us)} is more than {minutes} minutes in the future"
    return None


def describe(sample: Sample) -> str:
    """A short text form of a sample for error messages."""
    labels = ",".join(f'{key}="{value}"' for key, value in sample.labels)
    text = f"{sample.metric}{{{labels}}} {sample.value!r} @{sample.ts_us}"
    return text if len(text) <= 120 else text[:119] + "…"
