"""From parsed payload to stored points: limits, validation, the writer.

Every write path (HTTP endpoints, the CSV command, scraping) ends in
`ingest`, so the same rules apply whichever way metrics arrive. The limits
come from settings; `now` is passed in.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import NamedTuple

import psycopg2
from django.conf import settings
from django.db import DatabaseError, transaction

from core.instruments import count_points
from ingestion.parsers import ParseResult
from ingestion.samples import LineError
from ingestion.series_ends import mark_ended
from ingestion.validation import Limits, validate_samples
from ingestion.writer import write_samples


class TooManyPoints(Exception):
    """A request holds more points than one request may write."""

    def __init__(self, n_points: int, limit: int):
        self.n_points = n_points
        self.limit = limit
        super().__init__(
            f"{n_points} points in one request, over the limit of {limit} (TSMON_MAX_POINTS_PER_REQUEST); "
            "send smaller batches"
        )


class IngestOutcome(NamedTuple):
    """What a request stored, and the lines it refused (sorted by line)."""

    written: int
    duplicates: int
    series_created: int
    errors: list[LineError]


def ingest(parsed: ParseResult, now: dt.datetime, source=None, key=None, lazy_spans=False) -> IngestOutcome:
    """Validate parsed samples and write the valid ones in one transaction.

    Raises TooManyPoints before writing anything when the request is over
    the point limit; lines refused by the writer (new series past a series
    limit; `key` is the ApiKey writing, if any) join the errors; database errors propagate with nothing
    written. `lazy_spans`: see `write_samples`.
    """
    limit = max_points_per_request()
    if len(parsed.samples) > limit:
        count_points(parse=len(parsed.errors), too_large=len(parsed.samples))
        raise TooManyPoints(len(parsed.samples), limit)
    checked = validate_samples(parsed.samples, to_us(now), limits_from_settings())
    try:
        # Series ends (staleness markers) go in with the points or not at all.
        with transaction.atomic() if parsed.ends else contextlib.nullcontext():
            result = write_samples(checked.samples, source=source, key=key, lazy_spans=lazy_spans)
            mark_ended(parsed.ends)
    except (DatabaseError, psycopg2.Error):
        count_points(parse=len(parsed.errors), db_unavailable=len(parsed.samples))
        raise
    _count(parsed, checked, result)
    errors = sorted([*parsed.errors, *checked.errors, *result.refused])
    return IngestOutcome(result.written, result.duplicates, result.series_created, errors)


def _count(parsed: ParseResult, checked: ParseResult, result) -> None:
    """Count the points of one write for /metrics (see core.instruments)."""
    stored = result.written + result.duplicates
    count_points(
        accepted=stored,
        parse=len(parsed.errors),
        validation=len(parsed.samples) - len(checked.samples),
        series_limit=len(checked.samples) - stored,
    )


def limits_from_settings() -> Limits:
    return Limits(
        retention_days=settings.TSMON_RETENTION_DAYS,
        max_labels=settings.TSMON_MAX_LABELS,
        max_label_value_length=settings.TSMON_MAX_LABEL_VALUE_LENGTH,
    )


def max_points_per_request() -> int:
    return settings.TSMON_MAX_POINTS_PER_REQUEST


def max_body_bytes() -> int:
    return settings.TSMON_MAX_BODY_BYTES


def to_us(moment: dt.datetime) -> int:
    """Microseconds since the epoch of an aware datetime."""
    return (moment - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)


def ingest_in_chunks(
    parsed: ParseResult, now: dt.datetime, source=None, chunk_size: int | None = None
) -> IngestOutcome:
    """`ingest` a large parse result (a whole CSV file) in chunks of at most
    TSMON_MAX_POINTS_PER_REQUEST samples, one transaction each."""
    chunk_size = chunk_size or max_points_per_request()
    written = duplicates = created = 0
    errors = list(parsed.errors)
    count_points(parse=len(parsed.errors))  # the chunks carry none
    for start in range(0, max(len(parsed.samples), 1), chunk_size):
        chunk = ParseResult(parsed.samples[start : start + chunk_size], [])
        outcome = ingest(chunk, now, source)
        written += outcome.written
        duplicates += outcome.duplicates
        created += outcome.series_created
        errors.extend(outcome.errors)
    return IngestOutcome(written, duplicates, created, sorted(errors))


def shift_to_end_at(parsed: ParseResult, end_us: int) -> ParseResult:
    """Move every timestamp by one offset so the latest lands on `end_us`.

    Lets an archived data set (NAB's files are from 2013–2015) be loaded
    inside the retention window, keeping its spacing and weekdays' distance.
    """
    if not parsed.samples:
        return parsed
    offset = end_us - max(sample.ts_us for sample in parsed.samples)
    return ParseResult(
        [sample._replace(ts_us=sample.ts_us + offset) for sample in parsed.samples], parsed.errors
    )
