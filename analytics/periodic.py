"""The analytics app's periodic jobs (registered with core.schedule when the app starts)."""

from __future__ import annotations

from analytics.jobs import run_detectors, run_forecasts, run_peer_detectors
from core.scheduler import PeriodicJob


def periodic_jobs() -> list[PeriodicJob]:
    return [
        PeriodicJob("detect", 60, run_detectors, sharded=True),
        PeriodicJob("detect_peers", 300, run_peer_detectors, sharded=True),
        PeriodicJob("forecast", 3600, run_forecasts, sharded=True),
    ]
