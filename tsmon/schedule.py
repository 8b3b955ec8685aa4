"""What runs periodically, and how often: one list for the in-process
scheduler (`manage.py run_scheduler`) and for Celery beat.

Every job reports each run (tsmon.monitoring.heartbeats), whichever of the
two runs it, so `/metrics` and tsmon's own alert rules can tell a job that
stopped succeeding; each job's SQL statements are bounded by
TSMON_STATEMENT_TIMEOUT_JOBS_SECONDS (tsmon.statement_timeouts).
"""

from __future__ import annotations

import functools

from tsmon.scheduler import PeriodicJob
from tsmon.statement_timeouts import JOBS, with_statement_timeout


def default_jobs() -> list[PeriodicJob]:
    from django.conf import settings

    from analytics.alert_jobs import dispatch_notifications, evaluate_alert_rules
    from analytics.jobs import run_detectors, run_forecasts, run_peer_detectors
    from ingestion.jobs import compact_points, maintain_point_partitions
    from ingestion.scrape import scrape_due_targets
    from reports.jobs import process_pending_reports, run_due_report_schedules
    from tsmon.monitoring.heartbeats import with_heartbeat
    from tsmon.monitoring.jobs import watch_tsmon

    jobs = [
        PeriodicJob("compact_points", settings.TSMON_COMPACT_SECONDS, compact_points),
        PeriodicJob("maintain_partitions", 3600, maintain_point_partitions),
        PeriodicJob("reports", 15, process_pending_reports),
        PeriodicJob("report_schedules", 300, run_due_report_schedules),
        # Each target keeps its own interval; this only says how often to look.
        PeriodicJob("scrape", 5, scrape_due_targets),
        PeriodicJob("detect", 60, run_detectors, sharded=True),
        PeriodicJob("detect_peers", 300, run_peer_detectors, sharded=True),
        PeriodicJob("forecast", 3600, run_forecasts, sharded=True),
        PeriodicJob("evaluate_alert_rules", 30, evaluate_alert_rules),
        PeriodicJob("dispatch_notifications", 10, dispatch_notifications),
    ]
    # Handed the list it watches, rather than reading it from here: no import cycle.
    jobs.append(PeriodicJob("watch_tsmon", 60, functools.partial(watch_tsmon, jobs=jobs)))
    for job in jobs:
        # Outermost: the heartbeat's own statements are bounded too.
        job.run = with_statement_timeout(JOBS, with_heartbeat(job.name, job.run))
    return jobs


def job_named(name: str) -> PeriodicJob:
    for job in default_jobs():
        if job.name == name:
            return job
    raise KeyError(f"no periodic job named {name!r}")
