"""What the scheduler runs, and how often."""

from __future__ import annotations

from tsmon.scheduler import PeriodicJob


def default_jobs() -> list[PeriodicJob]:
    from ingestion.jobs import maintain_point_partitions

    return [
        PeriodicJob("maintain_partitions", 3600, maintain_point_partitions),
    ]
