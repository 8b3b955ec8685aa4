"""``manage.py export_series [--selector S] [--start T] [--end T] [--output FILE]``: points to CSV."""

from __future__ import annotations

import sys
from contextlib import nullcontext

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.time_range import TimeRangeError, parse_time
from ingestion.export import export_points
from ingestion.selectors import SelectorError, parse_selector


class Command(BaseCommand):
    help = (
        "Write the points of the selected series to a CSV that import_series reads back exactly "
        "(metric, labels, source, ts, value), streaming."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--selector", help="series selector, e.g. 'cpu_usage_percent{host=~\"web-.*\"}' (default: all)"
        )
        parser.add_argument(
            "--start",
            help="RFC 3339, epoch seconds, now-7d or -7d (write --start=-7d); default: the first point",
        )
        parser.add_argument("--end", help="as --start, exclusive; default: after the last point")
        parser.add_argument(
            "--output", "-o", default="-", help="the CSV file to write ('-', the default: stdout)"
        )

    def handle(self, *args, **options):
        try:
            selector = parse_selector(options["selector"]) if options["selector"] else None
        except SelectorError as exc:
            raise CommandError(f"--selector: {exc}") from None
        now = timezone.now()
        start, end = (_time(options[name], now, name) for name in ("start", "end"))
        if start and end and start >= end:
            raise CommandError("--start must be before --end")
        output = options["output"]
        try:
            with _open(output) as out:
                n_series, n_points = export_points(out, selector, start, end)
        except OSError as exc:
            raise CommandError(f"cannot write {output}: {exc}") from None
        # The summary goes to stderr, so it never mixes with a CSV on stdout.
        self.stderr.write(f"{n_points} points of {n_series} series exported")


def _time(text: str | None, now, parameter: str):
    """The API's time syntax (`core.time_range`), plus `-7d` for `now-7d`."""
    if text is None:
        return None
    text = text.strip()
    try:
        return parse_time(f"now{text}" if text.startswith("-") else text, now, parameter)
    except TimeRangeError as exc:
        raise CommandError(f"--{exc}") from None


def _open(name: str):
    return nullcontext(sys.stdout.buffer) if name == "-" else open(name, "wb")
