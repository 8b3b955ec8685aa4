"""The shapes every write path hands to the writer.

Parsers (line protocol, JSON, CSV, Prometheus, the agent) turn a payload into
`Sample`s and `LineError`s; validation and the writer take it from there.
Plain tuples keep parsing near the speed of the raw bytes: a batch of 5,000
lines makes 5,000 of these and nothing heavier.
"""

from __future__ import annotations

from typing import NamedTuple

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
