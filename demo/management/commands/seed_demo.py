"""`manage.py seed_demo`: write 14 days of demo metrics with known anomalies."""

import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from demo.configuration import create_demo_alert_rules, create_demo_detectors
from demo.loading import load_demo_data
from ingestion.models import Series


class Command(BaseCommand):
    help = "Write realistic demo metrics (5 hosts, 14 days, 1-minute) with known injected anomalies."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=None, help="random seed (default TSMON_DEMO_SEED)")
        parser.add_argument("--end", help="last timestamp, ISO 8601 (default: now)")
        parser.add_argument("--if-empty", action="store_true", help="do nothing if any series exists")

    def handle(self, *args, **options):
        if options["if_empty"] and Series.objects.exists():
            self.stdout.write("seed_demo: the database already holds series; nothing written")
            return
        end = _parse_end(options["end"]) if options["end"] else timezone.now()
        seed = options["seed"] if options["seed"] is not None else settings.TSMON_DEMO_SEED
        summary = load_demo_data(end, seed)
        create_demo_detectors()
        create_demo_alert_rules()
        self.stdout.write(
            f"seed_demo: {summary.n_points} points in {summary.n_series} series "
            f"from {summary.start:%Y-%m-%d %H:%M} to {summary.end:%Y-%m-%d %H:%M} UTC, "
            f"{len(summary.anomalies)} injected anomalies"
        )


def _parse_end(text: str) -> dt.datetime:
    try:
        end = dt.datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"--end {text!r}: expected an ISO 8601 time such as 2026-11-21T12:00:00Z"
        ) from None
    return end if end.tzinfo else end.replace(tzinfo=dt.UTC)
