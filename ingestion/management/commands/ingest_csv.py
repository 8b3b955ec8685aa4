"""``manage.py ingest_csv FILE --metric ... --labels k=v,...``: load a CSV table."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ingestion.ingest import ingest_in_chunks, shift_to_end_at, to_us
from ingestion.parsers import PRECISIONS, parse_csv, parse_label_option

MAX_ERRORS_SHOWN = 20


class Command(BaseCommand):
    help = (
        "Load a CSV file: NAB style timestamp,value or a wide table (one series per column). "
        "Bad rows are reported with their line and skipped; the good ones are stored."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the CSV file ('-' for standard input)")
        parser.add_argument("--metric", help="metric name (required for a timestamp,value table)")
        parser.add_argument("--labels", default="", help="labels for every series, k=v,k2=v2")
        parser.add_argument("--precision", default="s", choices=PRECISIONS, help="unit of numeric timestamps")
        parser.add_argument(
            "--shift-to-now",
            action="store_true",
            help="shift all timestamps so the last one is now (load an archived data set inside retention)",
        )

    def handle(self, *args, **options):
        try:
            labels = parse_label_option(options["labels"])
        except ValueError as exc:
            raise CommandError(f"--labels: {exc}") from None
        now = timezone.now()
        parsed = parse_csv(self._read(options["file"]), options["metric"], labels, options["precision"])
        if options["shift_to_now"]:
            parsed = shift_to_end_at(parsed, to_us(now))
        outcome = ingest_in_chunks(parsed, now)
        for error in outcome.errors[:MAX_ERRORS_SHOWN]:
            self.stderr.write(f"line {error.line}: {error.reason}")
        if len(outcome.errors) > MAX_ERRORS_SHOWN:
            self.stderr.write(f"... and {len(outcome.errors) - MAX_ERRORS_SHOWN} more bad lines")
        summary = (
            f"{outcome.written} points written, {outcome.duplicates} already stored, "
            f"{outcome.series_created} new series, {len(outcome.errors)} bad lines"
        )
        if outcome.errors and not outcome.written and not outcome.duplicates:
            raise CommandError(f"nothing stored: {summary}")
        self.stdout.write(summary)

    def _read(self, name: str) -> str:
        try:
            if name == "-":
                return sys.stdin.read()
            return Path(name).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {name}: {exc}") from None
