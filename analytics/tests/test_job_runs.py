"""Job-run records: a run whose process died is closed as abandoned, others stay open."""

import os
import subprocess
import sys

import pytest

from core.choices import JobOutcome
from core.job_runs import HOST, close_abandoned_runs, recorded
from core.models import JobRun

pytestmark = pytest.mark.django_db


def a_dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_the_open_run_of_a_dead_process_on_this_host_is_closed_as_abandoned():
    dead = JobRun.objects.create(job="detect", worker=f"{HOST}:{a_dead_pid()}")
    alive = JobRun.objects.create(job="detect", worker=f"{HOST}:{os.getpid()}")
    elsewhere = JobRun.objects.create(job="detect", worker="another-host:1")
    with recorded("forecast") as finished:
        pass

    assert close_abandoned_runs() == 1

    outcomes = dict(JobRun.objects.values_list("pk", "outcome"))
    assert outcomes == {
        dead.pk: JobOutcome.ABANDONED,
        alive.pk: JobOutcome.RUNNING,
        elsewhere.pk: JobOutcome.RUNNING,
        finished.pk: JobOutcome.OK,
    }
    dead.refresh_from_db()
    assert dead.finished_at is not None and "ended before the run did" in dead.error
    assert close_abandoned_runs() == 0
