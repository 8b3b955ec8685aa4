"""CSV tables: NAB style ``timestamp,value`` and wide tables with many value columns.

- The timestamp column is the first one named ``timestamp``, ``time``, ``ts``,
  ``date`` or ``datetime`` (any case), else the first column. Its cells are
  ISO 8601 (``2014-04-01 00:05:00``; UTC when there is no offset) or numbers
  in the given precision (seconds by default).
- Every other column holds values. With one value column, its points form the
  series ``metric{labels}``. With several, each column is a series:
  ``metric{labels, column="<name>"}`` when a metric is given, else the column
  name is the metric name.
- The first row is a header unless its value cells are all numbers; then the
  table has none and value columns are called ``value``, ``value_2``...
- An empty cell is a gap: no point, no error. A cell that is not a number
  refuses its row. Rows are numbered as lines of the file, from 1.
"""

from __future__ import annotations

import csv
import io

from core.timestamps import check_precision, iso_to_us, number_to_us
from ingestion.parsers.result import ParseResult, shorten
from ingestion.samples import Labels, LineError, Sample

TIMESTAMP_NAMES = ("timestamp", "time", "ts", "date", "datetime")


def parse_csv(
    text: str,
    metric: str | None = None,
    labels: Labels = (),
    precision: str = "s",
) -> ParseResult:
    """Parse a CSV table into samples; see the module docstring for the layout.

    Parameters
    ----------
    text : the whole file, decoded.
    metric : the metric name; required when the table has one value column.
    labels : canonical labels added to every series.
    precision : unit of numeric timestamps, one of ns, us, ms, s.
    """
    check_precision(precision)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        first = next(reader, None)
    except csv.Error as exc:
        return ParseResult([], [LineError(1, f"unreadable CSV: {exc}")])
    if first is None or len(first) < 2:
        return ParseResult(
            [], [LineError(1, "expected a header or row with a timestamp and at least one value column")]
        )
    has_header = not all(_is_number(cell) for cell in first[1:] if cell)
    header = (
        first if has_header else [""] + [f"value_{i + 1}" if i else "value" for i in range(len(first) - 1)]
    )
    ts_index = _timestamp_column(header) if has_header else 0
    series, reason = _column_series(header, ts_index, metric, labels)
    if reason:
        return ParseResult([], [LineError(1, reason, shorten(",".join(first)))])
    table = _Table(ts_index, series, precision)
    if not has_header:
        table.add_row(1, first)
    try:
        for row in reader:
            table.add_row(reader.line_num, row)
    except csv.Error as exc:
        table.errors.append(LineError(reader.line_num, f"unreadable CSV: {exc}"))
    return ParseResult(table.samples, table.errors)


def parse_label_option(text: str) -> Labels:
    """Parse ``k=v,k2=v2`` (as given on a command line or in a query) into
    canonical labels; raise ValueError naming the bad item."""
    labels = {}
    for item in filter(None, (part.strip() for part in (text or "").split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"label {item!r} is not key=value")
        labels[key.strip()] = value.strip()
    return tuple(sorted(labels.items()))


def _timestamp_column(header: list[str]) -> int:
    lowered = [name.strip().lower() for name in header]
    for index, name in enumerate(lowered):
        if name in TIMESTAMP_NAMES:
            return index
    return 0


def _column_series(
    header: list[str], ts_index: int, metric: str | None, labels: Labels
) -> tuple[dict[int, tuple[str, Labels]], str | None]:
    """Map each value column to its (metric, labels), or give the reason it cannot be."""
    columns = {index: name.strip() for index, name in enumerate(header) if index != ts_index}
    if len(columns) == 1:
        if not metric:
            return {}, "a table with one value column needs a metric name"
        return {index: (metric, labels) for index in columns}, None
    if metric and any(key == "column" for key, _ in labels):
        return {}, "the label 'column' is taken by the wide table's column names"
    series = {}
    for index, name in columns.items():
        if not name:
            return {}, f"column {index + 1} has no name"
        if metric:
            series[index] = (metric, tuple(sorted((*labels, ("column", name)))))
        else:
            series[index] = (name, labels)
    return series, None


class _Table:
    """Collects the samples of the rows, refusing a row whole on its first bad cell."""

    def __init__(self, ts_index: int, series: dict[int, tuple[str, Labels]], precision: str):
        self.ts_index = ts_index
        self.series = series
        self.width = len(series) + 1
        self.precision = precision
        self.samples: list[Sample] = []
        self.errors: list[LineError] = []

    def add_row(self, number: int, row: list[str]) -> None:
        if not row or (len(row) == 1 and not row[0].strip()):
            return  # blank line
        if len(row) != self.width:
            self.errors.append(
                LineError(number, f"{len(row)} cells, expected {self.width}", shorten(",".join(row)))
            )
            return
        try:
            ts_us = self._timestamp(row[self.ts_index].strip())
            points = [(index, _number(row[index].strip())) for index in self.series if row[index].strip()]
        except ValueError as exc:
            self.errors.append(LineError(number, str(exc), shorten(",".join(row))))
            return
        for index, value in points:
            metric, labels = self.series[index]
            self.samples.append(Sample(metric, labels, ts_us, value, number))

    def _timestamp(self, cell: str) -> int:
        try:
            if _is_number(cell):
                return number_to_us(
                    float(cell) if any(c in cell for c in ".eE") else int(cell), self.precision
                )
            return iso_to_us(cell)
        except (ValueError, OverflowError):
            raise ValueError(f"bad timestamp {shorten(cell, 40)!r}") from None


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return cell.strip().isascii()


def _number(cell: str) -> float:
    if not _is_number(cell):
        raise ValueError(f"{shorten(cell, 40)!r} is not a number")
    return float(cell)
