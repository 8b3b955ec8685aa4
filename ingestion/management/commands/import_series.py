"""``manage.py import_series FILE``: store the points of an export_series CSV."""

from __future__ import annotations

import shutil
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ingestion.export import import_points

MAX_ERRORS_SHOWN = 20


class Command(BaseCommand):
    help = (
        "Store the points of a CSV written by export_series. The whole file is checked first: "
        "with any bad line, its line number and reason are printed and nothing is written. "
        "Points already stored are skipped, so importing twice stores nothing twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the CSV file ('-' for standard input)")

    def handle(self, *args, **options):
        try:
            with _readable(options["file"]) as path:
                outcome = import_points(path, timezone.now())
        except OSError as exc:
            raise CommandError(f"cannot read {options['file']}: {exc}") from None
        for error in outcome.errors[:MAX_ERRORS_SHOWN]:
            self.stderr.write(f"line {error.line}: {error.reason}")
        if outcome.n_errors > MAX_ERRORS_SHOWN:
            self.stderr.write(f"... and {outcome.n_errors - MAX_ERRORS_SHOWN} more bad lines")
        summary = (
            f"{outcome.written} points written, {outcome.duplicates} already stored, "
            f"{outcome.series_created} new series, {outcome.expired} older than retention skipped, "
            f"{outcome.n_errors} bad lines"
        )
        if outcome.n_errors:
            written = "nothing written" if not (outcome.written or outcome.duplicates) else "the rest written"
            raise CommandError(f"{written}: {summary}")
        self.stdout.write(summary)


@contextmanager
def _readable(name: str):
    """The path of the file to import; standard input is spooled to a
    temporary file first, since the import reads its file twice."""
    if name != "-":
        if not Path(name).is_file():
            raise CommandError(f"cannot read {name}: no such file")
        yield Path(name)
        return
    with tempfile.NamedTemporaryFile(suffix=".csv") as spool:
        shutil.copyfileobj(sys.stdin.buffer, spool)
        spool.flush()
        yield Path(spool.name)
