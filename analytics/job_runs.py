"""The record of job runs: every run is a JobRun row, open while it runs."""

from __future__ import annotations

import contextlib
import os
import socket
import traceback

from django.utils import timezone

from analytics.choices import JobOutcome
from analytics.models import JobRun

WORKER = f"{socket.gethostname()}:{os.getpid()}"


@contextlib.contextmanager
def recorded(job: str, **details):
    """Record a run of `job`; the body fills `run.n_series` / `run.n_points`.

    The row is written when the run starts (so a stuck or killed run is
    visible as 'running'), and again when it ends, with the error if any.
    The exception still propagates: a caller (the scheduler, Celery) decides
    what a failure means.
    """
    run = JobRun.objects.create(job=job, worker=WORKER, details=details)
    try:
        yield run
    except Exception as exc:
        run.outcome = JobOutcome.FAILED
        run.error = "".join(traceback.format_exception_only(exc)).strip()[:4000]
        raise
    else:
        run.outcome = JobOutcome.OK
    finally:
        run.finished_at = timezone.now()
        run.save()
