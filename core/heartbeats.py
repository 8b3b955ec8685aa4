"""Every periodic job reports each run: when it last succeeded, when it failed.

`with_heartbeat` wraps a job function; core/schedule.py wraps every
periodic job with it, so the in-process scheduler and Celery record the
same way. The record is one upserted row per job (`JobHeartbeat`).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
import traceback
from collections.abc import Callable

import psycopg2
from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)

_UPSERT = """
    INSERT INTO monitoring_jobheartbeat
        (job, first_run_at, last_success_at, last_failure_at, last_error,
         consecutive_failures, last_duration_seconds)
    VALUES (%(job)s, %(now)s, %(success_at)s, %(failure_at)s, %(error)s, %(failures)s, %(duration)s)
    ON CONFLICT (job) DO UPDATE SET
        -- GREATEST skips NULLs; a slow run ending after a later one does not move the times back.
        last_success_at = GREATEST(EXCLUDED.last_success_at, monitoring_jobheartbeat.last_success_at),
        last_failure_at = GREATEST(EXCLUDED.last_failure_at, monitoring_jobheartbeat.last_failure_at),
        last_error = CASE WHEN EXCLUDED.last_failure_at IS NULL
                          THEN monitoring_jobheartbeat.last_error ELSE EXCLUDED.last_error END,
        consecutive_failures = CASE WHEN EXCLUDED.last_failure_at IS NULL
                                    THEN 0 ELSE monitoring_jobheartbeat.consecutive_failures + 1 END,
        last_duration_seconds = EXCLUDED.last_duration_seconds
"""


def record_run(job: str, now: dt.datetime, duration_seconds: float, error: str | None = None) -> None:
    """Store one run of `job` that started at `now`: a success, or a failure with `error`."""
    failed = error is not None
    with connection.cursor() as cursor:
        cursor.execute(
            _UPSERT,
            {
                "job": job,
                "now": now,
                "success_at": None if failed else now,
                "failure_at": now if failed else None,
                "error": (error or "")[:4000],
                "failures": int(failed),
                "duration": duration_seconds,
            },
        )


def with_heartbeat(job: str, run: Callable[..., object]) -> Callable[..., object]:
    """`run`, recording each call's outcome as a run of `job`.

    The job's own exception still propagates (the scheduler logs it, Celery
    marks the task failed). When the record itself cannot be written
    because the database is down, the job has failed anyway: that is
    logged, and the job's exception wins.
    """

    @functools.wraps(run)
    def recorded_run(now: dt.datetime, *args, **kwargs):
        started = time.perf_counter()
        try:
            outcome = run(now, *args, **kwargs)
        except Exception as exc:
            error = "".join(traceback.format_exception_only(exc)).strip()
            try:
                record_run(job, now, time.perf_counter() - started, error)
            except (DatabaseError, psycopg2.Error):
                logger.warning("could not record the failure of job %s", job, exc_info=True)
            raise
        record_run(job, now, time.perf_counter() - started)
        return outcome

    return recorded_run
