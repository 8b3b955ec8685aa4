"""The monitoring app's periodic job: tsmon watching its own jobs (registered
with core.schedule when the app starts, the last app, so it sees them all)."""

from __future__ import annotations

from core.scheduler import PeriodicJob
from monitoring.jobs import watch_tsmon


def periodic_jobs() -> list[PeriodicJob]:
    return [PeriodicJob("watch_tsmon", 60, watch_tsmon)]
