"""`manage.py compact_points`: move the landing rows written so far into chunks."""

from django.core.management.base import BaseCommand

from ingestion.compaction import SLICE_ROWS, compact


class Command(BaseCommand):
    help = (
        "Compact the points written so far (the landing table) into compressed chunks. "
        "The scheduler does this every TSMON_COMPACT_SECONDS; run it by hand after a bulk load."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--slice-rows", type=int, default=SLICE_ROWS, help="landing rows per transaction, about"
        )

    def handle(self, *args, slice_rows, **options):
        result = compact(slice_rows=max(1, slice_rows))
        if result.busy:
            self.stdout.write("compact_points: another compaction is running; nothing done")
            return
        self.stdout.write(
            f"compact_points: {result.landing_rows} landing rows, {result.points} new points,"
            f" {result.chunks_written} chunks written"
        )
