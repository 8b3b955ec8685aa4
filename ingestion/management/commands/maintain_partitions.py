"""`manage.py maintain_partitions`: create point partitions ahead, drop expired ones."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from ingestion.jobs import maintain_point_partitions


class Command(BaseCommand):
    help = "Create partitions of the chunks table ahead of time and drop those past TSMON_RETENTION_DAYS."

    def handle(self, *args, **options):
        created, dropped = maintain_point_partitions(timezone.now())
        self.stdout.write(
            f"maintain_partitions: created {len(created)}, dropped {len(dropped)} day partitions"
        )
