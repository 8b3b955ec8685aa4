"""Ingestion jobs: compact, maintain partitions. Plain functions that take `now`."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from ingestion.compaction import CompactionResult, compact
from ingestion.partitions import maintain_partitions


def compact_points(now: dt.datetime) -> CompactionResult:
    """Move the landing rows written so far into chunks (ingestion.compaction)."""
    return compact()


def maintain_point_partitions(now: dt.datetime) -> tuple[list, list]:
    """Create partitions ahead and drop those past retention (see settings)."""
    return maintain_partitions(now, settings.TSMON_RETENTION_DAYS, settings.TSMON_PARTITIONS_AHEAD_DAYS)
