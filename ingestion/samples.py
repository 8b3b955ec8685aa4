"""The shapes every write path hands to the writer.

Parsers (line protocol, JSON, CSV, Prometheus, the agent) turn a payload into
`Sample`s and `LineError`s; validation and the writer take it from there.
Plain tuples keep parsing near the speed of the raw bytes: a batch of 5,000
lines makes 5,000 of these and nothing heavier; the line-protocol fast path
makes none at all, handing over `SampleColumns` instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

Labels = tuple[tuple[str, str], ...]
"""A label set in canonical form: (key, value) pairs sorted by key."""


class Sample(NamedTuple):
    """One point of one series, as it arrived."""

    metric: str
    labels: Labels
    ts_us: int  # microseconds since the Unix epoch, UTC (PostgreSQL's resolution)
    value: float
    line: int  # 1-based line (or row / item) of the payload it came from


class LineError(NamedTuple):
    """Why one line of a payload was refused."""

    line: int
    reason: str
    text: str = ""  # the offending line, cut short, for the error message


def canonical_labels(labels: dict[str, str]) -> Labels:
    """Sort a label mapping into the canonical tuple form."""
    return tuple(sorted(labels.items()))


class SampleColumns(Sequence):
    """Samples held as columns: each distinct series once, then one array per field.

    What the line-protocol fast path produces. A batch of 5,000 points of
    1,000 series is then 1,000 (metric, labels) pairs and four arrays, and
    validation and the writer work per series and per array instead of per
    sample. Indexing or iterating gives `Sample`s, so any code taking a
    sequence of samples takes these too.
    """

    def __init__(
        self,
        series: list[tuple[str, Labels]],
        series_index: np.ndarray,
        ts_us: np.ndarray,
        values: np.ndarray,
        lines: np.ndarray,
    ):
        self.series = series  # (metric, labels), possibly repeated
        self.series_index = series_index  # per point: its position in `series`
        self.ts_us = ts_us
        self.values = values
        self.lines = lines

    def __len__(self) -> int:
        return len(self.ts_us)

    def __getitem__(self, item):
        if isinstance(item, slice):
            return self.take(item)
        metric, labels = self.series[self.series_index[item]]
        return Sample(metric, labels, int(self.ts_us[item]), float(self.values[item]), int(self.lines[item]))

    def __iter__(self):
        series = self.series
        columns = (self.series_index.tolist(), self.ts_us.tolist(), self.values.tolist(), self.lines.tolist())
        for index, ts_us, value, line in zip(*columns, strict=True):
            yield Sample(*series[index], ts_us, value, line)

    def __eq__(self, other) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    def __repr__(self) -> str:
        return f"SampleColumns({list(self)!r})"

    def take(self, which) -> SampleColumns:
        """The samples at `which` (a slice, a boolean mask or positions), in order."""
        return SampleColumns(
            self.series, self.series_index[which], self.ts_us[which], self.values[which], self.lines[which]
        )

    def compacted(self) -> SampleColumns:
        """The same samples with only the `series` entries they use."""
        used, index = np.unique(self.series_index, return_inverse=True)
        return SampleColumns(
            [self.series[i] for i in used.tolist()], index, self.ts_us, self.values, self.lines
        )

    def with_series(self, series: list[tuple[str, Labels]]) -> SampleColumns:
        """The same points under other (metric, labels) pairs, one per entry of `series`."""
        return SampleColumns(series, self.series_index, self.ts_us, self.values, self.lines)
