"""The reports app's periodic jobs (registered with core.schedule when the app starts)."""

from __future__ import annotations

from core.scheduler import PeriodicJob
from reports.jobs import process_pending_reports, run_due_report_schedules


def periodic_jobs() -> list[PeriodicJob]:
    return [
        PeriodicJob("reports", 15, process_pending_reports),
        PeriodicJob("report_schedules", 300, run_due_report_schedules),
    ]
