"""Export points to the points CSV and import them again (issue #9).

The file format is documented in `ingestion.parsers.points_csv`. It carries
points and the series they belong to, not the series' settings (unit, kind,
capacity) nor detectors, anomalies or alerts: a whole database is backed up
with pg_dump (see the README).

Export streams: the selected series' metric, canonical labels and source are
put in a temporary table, and PostgreSQL joins them to the points and writes
the CSV itself (`COPY ... TO STDOUT`), so neither the server nor this process
holds more than a buffer of the export at a time.

A source name a spreadsheet would run as a formula (`=HYPERLINK(...)`) is
exported with a leading quote (`core.spreadsheet`), which import takes off
again, so the round trip stays exact.

Import validates, then writes. A first pass parses and checks the whole file
(the same rules as every write path) and keeps only the errors; if there is
any, nothing is written and the errors are returned with their lines. A second
pass reads the file again and hands it to the writer in chunks of
TSMON_MAX_POINTS_PER_REQUEST points, one transaction each. The writer skips
points already stored, so importing a file twice stores nothing twice, and an
import cut short by a database failure is finished by running it again.
Points older than the retention period are skipped and counted, not refused:
a backup outlives its oldest days, and the next partition maintenance would
drop them anyway.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, NamedTuple

from django.db import connection, transaction

from core.spreadsheet import quote_formula, unquote_formula
from ingestion.ingest import limits_from_settings, max_points_per_request, to_us
from ingestion.models import Series, Source
from ingestion.parsers.points_csv import HEADER, labels_json, read_points_csv
from ingestion.queries import select_series
from ingestion.samples import LineError, Sample
from ingestion.selectors import Selector
from ingestion.validation import US_PER_DAY, validate_samples
from ingestion.writer import write_samples

MAX_ERRORS_KEPT = 1_000
# Bounds for an open-ended range: PostgreSQL's timestamptz holds both.
_EARLIEST = dt.datetime(1, 1, 1, tzinfo=dt.UTC)
_LATEST = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)


def export_points(
    out: BinaryIO,
    selector: Selector | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> tuple[int, int]:
    """Write the points CSV of the selected series in [start, end) to `out`;
    return (series, points) exported. No selector means every series, no
    `start` or `end` an open end.

    Rows come in the order they are stored (day partition by day partition),
    not sorted: sorting a large export would make PostgreSQL spill all of it
    to disk before the first row.
    """
    series = select_series(selector) if selector else Series.objects.all()
    rows = series.order_by().values_list("id", "metric", "labels", "source__name")
    with transaction.atomic(), connection.cursor() as cursor:
        # Output settings that keep the text exact whatever the server's
        # defaults: float8 in its shortest round-trip form, times in UTC.
        cursor.execute("SET LOCAL extra_float_digits = 1")
        cursor.execute("SET LOCAL TimeZone = 'UTC'")
        cursor.execute(
            "CREATE TEMP TABLE export_series (id bigint, metric text, labels text, source text)"
            " ON COMMIT DROP"
        )
        n_series = _fill_export_series(cursor, rows.iterator(chunk_size=10_000))
        cursor.execute("ANALYZE export_series")
        query = cursor.mogrify(
            f"""
            SELECT s.metric AS {HEADER[0]}, s.labels AS {HEADER[1]}, s.source AS {HEADER[2]},
                   to_char(p.ts, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS {HEADER[3]}, p.value AS {HEADER[4]}
            FROM export_series s
            JOIN tsmon_series_points(ARRAY(SELECT id FROM export_series), %s, %s) p ON p.series_id = s.id
            """,
            [start or _EARLIEST, end or _LATEST],
        ).decode()
        cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER)", out)
        n_points = cursor.rowcount
        cursor.execute("DROP TABLE export_series")  # also when called inside a longer transaction
        return n_series, n_points


def _fill_export_series(cursor, rows: Iterator[tuple]) -> int:
    n_series, batch = 0, []
    for series_id, metric, labels, source in rows:
        # Only the source can be text a spreadsheet would run: metric names are
        # Prometheus names, labels a JSON object, times and values numbers.
        batch.append((series_id, metric, labels_json(labels), quote_formula(source)))
        n_series += 1
        if len(batch) == 10_000:
            _insert_export_series(cursor, batch)
            batch = []
    _insert_export_series(cursor, batch)
    return n_series


def _insert_export_series(cursor, batch: list[tuple]) -> None:
    if batch:
        columns = [list(column) for column in zip(*batch, strict=True)]
        cursor.execute(
            "INSERT INTO export_series"
            " SELECT * FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[])",
            columns,
        )


class ImportOutcome(NamedTuple):
    """What an import stored, skipped and refused (errors sorted by line)."""

    written: int
    duplicates: int  # points already stored, kept as they were
    series_created: int
    expired: int  # points older than the retention period, skipped
    errors: list[LineError]
    n_errors: int  # all bad lines; `errors` keeps the first MAX_ERRORS_KEPT


def import_points(path: Path, now: dt.datetime, chunk_size: int | None = None) -> ImportOutcome:
    """Check the points CSV at `path`, then, if no line is bad, write it.

    See the module docstring for the two passes and what they promise.
    """
    chunk_size = chunk_size or max_points_per_request()
    errors: list[LineError] = []
    n_errors = expired = 0
    for chunk in _checked_chunks(path, now, chunk_size):
        n_errors += len(chunk.errors)
        errors.extend(chunk.errors[: MAX_ERRORS_KEPT - len(errors)])
        expired += chunk.expired
    if n_errors:
        return ImportOutcome(0, 0, 0, expired, sorted(errors), n_errors)
    return _write_file(path, now, chunk_size, expired)


def _write_file(path: Path, now: dt.datetime, chunk_size: int, expired: int) -> ImportOutcome:
    written = duplicates = created = 0
    errors: list[LineError] = []
    sources = _SourceCache()
    for chunk in _checked_chunks(path, now, chunk_size):
        # Only checked samples are written, even if the file changed since the first pass.
        errors.extend(chunk.errors)
        for source_name, samples in _by_source(chunk.samples, chunk.sources):
            result = write_samples(samples, source=sources.get(source_name))
            written += result.written
            duplicates += result.duplicates
            created += result.series_created
            errors.extend(result.refused)
    return ImportOutcome(written, duplicates, created, expired, sorted(errors)[:MAX_ERRORS_KEPT], len(errors))


class _CheckedChunk(NamedTuple):
    samples: list[Sample]  # those that passed every rule
    errors: list[LineError]
    expired: int
    sources: dict


def _checked_chunks(path: Path, now: dt.datetime, chunk_size: int) -> Iterator[_CheckedChunk]:
    """Parse and validate the file chunk by chunk; points past retention are counted and left out."""
    limits = limits_from_settings()
    now_us = to_us(now)
    oldest_us = now_us - limits.retention_days * US_PER_DAY
    # Undecodable bytes become lone surrogates, which the label and source
    # checks refuse with the line's number, instead of failing the whole read.
    with open(path, encoding="utf-8-sig", errors="surrogateescape", newline="") as lines:
        for parsed, sources in read_points_csv(lines, chunk_size):
            current = [sample for sample in parsed.samples if sample.ts_us >= oldest_us]
            checked = validate_samples(current, now_us, limits)
            expired = len(parsed.samples) - len(current)
            yield _CheckedChunk(checked.samples, sorted([*parsed.errors, *checked.errors]), expired, sources)


def _by_source(samples: list[Sample], sources: dict) -> Iterator[tuple[str, list[Sample]]]:
    """The samples grouped by the source named for their series."""
    groups: dict[str, list[Sample]] = {}
    for sample in samples:
        source = unquote_formula(sources[(sample.metric, sample.labels)])
        groups.setdefault(source, []).append(sample)
    yield from groups.items()


class _SourceCache:
    """The Source of each name in the file, created on first sight."""

    def __init__(self):
        self._sources: dict[str, Source | None] = {"": None}

    def get(self, name: str) -> Source | None:
        if name not in self._sources:
            self._sources[name] = Source.objects.get_or_create(name=name)[0]
        return self._sources[name]
