"""`manage.py generate_report`: make a forecast, anomaly or capacity report now."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.time_range import TimeRangeError, parse_time
from ingestion.selectors import SelectorError, parse_selector
from reports import jobs
from reports.choices import ReportKind, ReportStatus
from reports.rendering import table_csv


class Command(BaseCommand):
    help = "Generate a report in this process and store it (the web UI and API then show it)."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=ReportKind.values)
        parser.add_argument(
            "--match", default="", help='series selector, e.g. disk_used_percent{host="db-1"}'
        )
        parser.add_argument("--start", help="RFC 3339 or now-7d (default: depends on the kind)")
        parser.add_argument("--end", help="RFC 3339 or now (default: now)")
        parser.add_argument("--days", type=float, help="capacity: look this many days ahead (default 14)")
        parser.add_argument("--horizons", help="forecast: comma-separated, e.g. 1h,1d,7d")
        parser.add_argument("--title", default="")
        parser.add_argument("--html", help="also write the HTML to this file")
        parser.add_argument("--csv", nargs=2, metavar=("TABLE", "FILE"), help="also write one table as CSV")

    def handle(self, *args, **options):
        now = timezone.now()
        try:
            if options["match"]:
                parse_selector(options["match"])
            end = parse_time(options["end"], now, "end") if options["end"] else now
            start = parse_time(options["start"], now, "start") if options["start"] else None
        except (SelectorError, TimeRangeError) as exc:
            raise CommandError(str(exc)) from None
        params = {}
        if options["days"] is not None:
            params["days"] = options["days"]
        if options["horizons"]:
            params["horizons"] = [h.strip() for h in options["horizons"].split(",") if h.strip()]
        report = jobs.request_report(
            options["kind"], end, start, options["match"], params, options["title"], "manage.py"
        )
        report = jobs.generate_report(report.pk, now) or report
        if report.status != ReportStatus.DONE:
            raise CommandError(f"report {report.pk} {report.status}: {report.error}")
        self._write_files(report, options)
        first = report.summary[0] if report.summary else ""
        self.stdout.write(f"generate_report: report {report.pk} ({report.kind}) done: {first}")

    def _write_files(self, report, options) -> None:
        if options["html"]:
            with open(options["html"], "w", encoding="utf-8") as out:
                out.write(report.html)
        if options["csv"]:
            name, path = options["csv"]
            if name not in report.content["tables"]:
                raise CommandError(
                    f"no table {name!r}; this report has {', '.join(report.content['tables'])}"
                )
            with open(path, "w", encoding="utf-8") as out:
                out.write(table_csv(report.content, name))
