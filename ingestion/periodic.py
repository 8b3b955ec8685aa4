"""The ingestion app's periodic jobs (registered with core.schedule when the app starts)."""

from __future__ import annotations

from django.conf import settings

from core.scheduler import PeriodicJob
from ingestion.jobs import compact_points, maintain_point_partitions
from ingestion.scrape import scrape_due_targets


def periodic_jobs() -> list[PeriodicJob]:
    return [
        PeriodicJob("compact_points", settings.TSMON_COMPACT_SECONDS, compact_points),
        PeriodicJob("maintain_partitions", 3600, maintain_point_partitions),
        # Each target keeps its own interval; this only says how often to look.
        PeriodicJob("scrape", 5, scrape_due_targets),
    ]
