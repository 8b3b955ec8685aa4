"""What every parser returns: the samples it understood and the lines it refused."""

from __future__ import annotations

from typing import NamedTuple

from ingestion.samples import LineError, Sample


class ParseResult(NamedTuple):
    """Samples in payload order, and one `LineError` per refused line."""

    samples: list[Sample]
    errors: list[LineError]


def shorten(text: str, limit: int = 120) -> str:
    """Cut a line short for an error message, marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
