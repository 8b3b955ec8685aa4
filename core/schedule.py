"""What runs periodically, and how often: one list for the in-process
scheduler (`manage.py run_scheduler`) and for Celery beat.

Each app declares its own jobs (a `periodic_jobs()` in its jobs module) and
registers them when Django starts it (`AppConfig.ready`), so this module
imports no app: the list follows INSTALLED_APPS. Every job reports each run
(core.heartbeats), whichever of the two runs it, so `/metrics` and tsmon's
own alert rules can tell a job that stopped succeeding; each job's SQL
statements are bounded by TSMON_STATEMENT_TIMEOUT_JOBS_SECONDS
(core.statement_timeouts).
"""

from __future__ import annotations

from collections.abc import Callable

from core.heartbeats import with_heartbeat
from core.scheduler import PeriodicJob
from core.statement_timeouts import JOBS, with_statement_timeout

JobSource = Callable[[], list[PeriodicJob]]
_sources: list[JobSource] = []


def register_jobs(source: JobSource) -> None:
    """Add an app's jobs. `source` is called for every list, so intervals
    read from settings follow the settings of the moment."""
    if source not in _sources:
        _sources.append(source)


def default_jobs() -> list[PeriodicJob]:
    jobs = [job for source in _sources for job in source()]
    for job in jobs:
        # Outermost: the heartbeat's own statements are bounded too.
        job.run = with_statement_timeout(JOBS, with_heartbeat(job.name, job.run))
    return jobs


def job_named(name: str) -> PeriodicJob:
    for job in default_jobs():
        if job.name == name:
            return job
    raise KeyError(f"no periodic job named {name!r}")
