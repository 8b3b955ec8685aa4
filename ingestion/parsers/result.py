"""What every parser returns: the samples it understood and the lines it refused."""

from __future__ import annotations

from typing import NamedTuple

from ingestion.samples import LineError, Sample


class ParseResult(NamedTuple):
    """Samples in payload order, one `LineError` per refused line, and the
    series ends the payload announced (Prometheus' staleness markers: a
    Sample per marker, its value NaN), which are no points."""

    samples: list[Sample]
    errors: list[LineError]
    ends: tuple[Sample, ...] = ()


def shorten(text: str, limit: int = 120) -> str:
    """Cut a line short for an error message, marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
