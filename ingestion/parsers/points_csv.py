"""The points CSV: what `export_series` writes and `import_series` reads.

One row per point, with everything needed to store it again exactly::

    metric,labels,source,ts,value
    cpu_usage_percent,"{""host"":""web-1""}",web-1,2026-11-20T00:00:00.000000Z,21.4

- ``labels`` is the label set as a JSON object of strings, keys sorted and no
  spaces (the canonical form; any JSON object of strings is accepted).
- ``source`` is the name of the series' Source, empty for none.
- ``ts`` is ISO 8601 with microseconds, PostgreSQL's resolution (one without
  an offset is UTC).
- ``value`` is the shortest text that parses back to the same float64, so a
  point survives export and import bit for bit.

The header row is required, in this order. Rows are numbered as lines of the
file, from 1 (the header). A series given two different sources in one file
is refused on the line where the second appears. Streaming: `read_points_csv`
yields chunks, so memory grows with the number of series, not of points.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from core.timestamps import iso_to_us
from ingestion.parsers.result import ParseResult, shorten
from ingestion.samples import Labels, LineError, Sample

HEADER = ("metric", "labels", "source", "ts", "value")
MAX_SOURCE_LENGTH = 253  # a Source is a host name

SeriesIdentity = tuple[str, Labels]


class PointsChunk(NamedTuple):
    """Up to `chunk_size` samples, the lines refused among them, and the
    source named for each series seen so far in the file."""

    parsed: ParseResult
    sources: dict[SeriesIdentity, str]


def labels_json(labels: dict[str, str] | Labels) -> str:
    """The canonical JSON text of a label set: keys sorted, no spaces."""
    pairs = dict(labels)
    return json.dumps(pairs, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def read_points_csv(lines: Iterable[str], chunk_size: int) -> Iterator[PointsChunk]:
    """Parse the points CSV (`lines` as from a file opened with newline='')
    in chunks of at most `chunk_size` samples; the last chunk may be empty."""
    reader = csv.reader(lines)
    rows = _Rows()
    try:
        header = next(reader, None)
        if header is None or tuple(cell.strip() for cell in header) != HEADER:
            found = ",".join(header) if header else "an empty file"
            yield PointsChunk(
                ParseResult([], [LineError(1, f"expected the header {','.join(HEADER)}", shorten(found))]), {}
            )
            return
        for row in reader:
            rows.add(reader.line_num, row)
            if len(rows.samples) >= chunk_size:
                yield rows.take()
    except csv.Error as exc:
        rows.errors.append(LineError(reader.line_num, f"unreadable CSV: {exc}"))
    yield rows.take()


class _Rows:
    """Collects the samples and errors of the rows read since the last chunk."""

    def __init__(self):
        self.samples: list[Sample] = []
        self.errors: list[LineError] = []
        self.sources: dict[SeriesIdentity, str] = {}
        # Agents' series repeat: parse each distinct labels cell once.
        self._labels: dict[str, Labels] = {}

    def take(self) -> PointsChunk:
        chunk = PointsChunk(ParseResult(self.samples, self.errors), self.sources)
        self.samples, self.errors = [], []
        return chunk

    def add(self, line: int, row: list[str]) -> None:
        if not row or (len(row) == 1 and not row[0].strip()):
            return  # blank line
        if len(row) != len(HEADER):
            self._refuse(line, f"{len(row)} cells, expected {len(HEADER)}", row)
            return
        metric, labels_text, source, ts_text, value_text = row
        try:
            labels = self._parse_labels(labels_text)
            ts_us = _timestamp(ts_text)
            value = _number(value_text)
            self._check_source(metric, labels, source)
        except ValueError as exc:
            self._refuse(line, str(exc), row)
            return
        self.samples.append(Sample(metric, labels, ts_us, value, line))

    def _check_source(self, metric: str, labels: Labels, source: str) -> None:
        known = self.sources.get((metric, labels))
        if known is None:
            _check_source_name(source)
            self.sources[(metric, labels)] = source
        elif known != source:
            raise ValueError(f"source {source!r} differs from {known!r} given earlier for this series")

    def _refuse(self, line: int, reason: str, row: list[str]) -> None:
        self.errors.append(LineError(line, reason, shorten(",".join(row))))

    def _parse_labels(self, text: str) -> Labels:
        labels = self._labels.get(text)
        if labels is None:
            labels = self._labels[text] = _labels(text)
        return labels


def _labels(text: str) -> Labels:
    try:
        pairs = json.loads(text)
    except ValueError:
        raise ValueError(f"labels {shorten(text, 40)!r} are not JSON") from None
    if not isinstance(pairs, dict) or not all(isinstance(v, str) for v in pairs.values()):
        raise ValueError(f"labels {shorten(text, 40)!r} are not a JSON object of strings")
    return tuple(sorted(pairs.items()))


def _check_source_name(name: str) -> None:
    if len(name) > MAX_SOURCE_LENGTH:
        raise ValueError(f"source is {len(name)} characters long, over a host name's {MAX_SOURCE_LENGTH}")
    if "\x00" in name or not _is_utf8(name):
        raise ValueError("source name is not valid UTF-8 text")


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _timestamp(text: str) -> int:
    try:
        return iso_to_us(text.strip())
    except (ValueError, OverflowError):
        raise ValueError(f"bad timestamp {shorten(text, 40)!r} (expected ISO 8601)") from None


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{shorten(text, 40)!r} is not a number") from None
