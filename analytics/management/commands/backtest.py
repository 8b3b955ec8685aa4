"""`manage.py backtest OUT [--selector S] [--start T] [--end T] [--detector NAME]`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from analytics import false_positives
from analytics.choices import DetectorKind
from analytics.models import Detector
from analytics.stored_backtest import backtest_series, write_false_positives
from core.time_range import TimeRangeError, parse_range
from ingestion.models import Series
from ingestion.queries import select_series
from ingestion.selectors import SelectorError, parse_selector

DEFAULT_SPAN = dt.timedelta(days=7)


class Command(BaseCommand):
    help = (
        "Score stored series with a fresh detector, causally, and write OUT/<metric>/<series id>.csv "
        "(timestamp,value,anomaly_score); nothing is stored."
    )

    def add_arguments(self, parser):
        parser.add_argument("out", type=Path, help="folder for the CSV files")
        parser.add_argument("--selector", help="series selector, e.g. 'cpu_usage_percent{host=\"web-1\"}'")
        parser.add_argument("--start", help="RFC 3339, epoch seconds or now-14d (default: now-7d)")
        parser.add_argument("--end", help="as --start (default: now)")
        parser.add_argument("--detector", help="use this detector's parameters (default: the defaults)")
        parser.add_argument("--chunk", type=int, default=60, help="points per update, as a live job feeds")

    def handle(self, *args, **options):
        try:
            series = (
                select_series(parse_selector(options["selector"])) if options["selector"] else Series.objects
            )
        except SelectorError as exc:
            raise CommandError(f"--selector: {exc}") from None
        try:
            start, end = parse_range(options["start"], options["end"], timezone.now(), DEFAULT_SPAN)
        except TimeRangeError as exc:
            raise CommandError(f"--{exc}") from None
        params = self._params(options["detector"])
        ids = list(series.values_list("pk", flat=True))
        marked = false_positives.windows(ids)
        results = backtest_series(
            series.order_by("metric", "key"), params, start, end, options["out"], options["chunk"], marked
        )
        n_series = n_points = n_events = n_on_marks = 0
        for result in results:
            n_series, n_points, n_events = n_series + 1, n_points + result.points, n_events + result.events
            n_on_marks += result.on_false_positives
            self.stdout.write(
                f"{result.series.key}: {result.points} points, {result.events} events "
                f"({result.on_false_positives} on marked false positives), "
                f"max score {result.max_score:.2f} -> {result.path}"
            )
        n_marks = write_false_positives(ids, options["out"])
        # Before the summary, which stays the last line (scripts read its event count).
        self.stdout.write(
            f"false positives: {n_marks} marked stretches -> {options['out'] / 'false_positives.csv'};"
            f" {n_on_marks} of the events start on one"
        )
        self.stdout.write(f"backtest: {n_series} series, {n_points} points, {n_events} events")

    def _params(self, name: str | None) -> dict:
        if not name:
            return {}
        detector = Detector.objects.filter(name=name).first()
        if detector is None:
            raise CommandError(f"no detector named {name!r}")
        if detector.kind != DetectorKind.SERIES:
            raise CommandError(f"detector {name!r} compares peers; backtest runs per-series detectors")
        return detector.params
