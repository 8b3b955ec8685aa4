"""The record of job runs: every run is a JobRun row, open while it runs."""

from __future__ import annotations

import contextlib
import os
import socket
import traceback

import psutil
from django.utils import timezone

from core.choices import JobOutcome
from core.models import JobRun

HOST = socket.gethostname()
WORKER = f"{HOST}:{os.getpid()}"


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


def close_abandoned_runs() -> int:
    """Close the open runs of this host's processes that no longer exist; return how many.

    A run whose process was killed (the OOM killer, SIGKILL of a Celery
    worker) never writes its end; its task runs again elsewhere. Runs of
    other hosts are left to the same check there (the watch job runs on
    every host that runs jobs).
    """
    closed = 0
    for run in JobRun.objects.filter(outcome=JobOutcome.RUNNING, worker__startswith=f"{HOST}:"):
        pid = run.worker.rpartition(":")[2]
        if pid.isdigit() and not psutil.pid_exists(int(pid)):
            closed += JobRun.objects.filter(pk=run.pk, outcome=JobOutcome.RUNNING).update(
                outcome=JobOutcome.ABANDONED,
                finished_at=timezone.now(),
                error="the process running it ended before the run did (killed?); its task runs again",
            )
    return closed
