"""Fault tests: the Celery worker running a detection job is killed mid-job.

Each series is scored in one transaction that also moves its watermark
(analytics/detection.py), and a task is acknowledged only when it has
finished and handed back when its worker is lost (settings). So a task
whose worker is SIGKILLed runs again, resumes at the first series not yet
committed, and the anomalies and events stored equal those of an
uninterrupted run: none twice, none missing.
"""

import datetime as dt
import signal
import time
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import psutil
import pytest

from analytics.jobs import run_detectors
from analytics.models import Anomaly, AnomalyEvent, Detector, DetectorState
from core.choices import JobOutcome
from core.job_runs import close_abandoned_runs
from core.models import JobRun
from ingestion.writer import write_samples
from tsmon.testing import make_samples
from tsmon.testing_celery import REDIS_URL, private_queue, require_redis, start_worker, stop_worker

pytestmark = [pytest.mark.fault, pytest.mark.celery, pytest.mark.django_db(transaction=True)]

N_SERIES = 8
N_POINTS = 3000  # a job of a few seconds, so that it can be caught half-way
ONE_SHARD = {"TSMON_JOB_SHARDS": "1"}  # one task scores every series, one after the other
# A short visibility timeout makes a worker that starts restore every task of
# its Redis database left unacknowledged for longer, also other test runs'
# tasks that are merely slow: the test that uses one gets a broker database of its own.
VISIBILITY_TIMEOUT = 5
PRIVATE_BROKER_URL = urlunsplit(urlsplit(REDIS_URL)._replace(path="/13"))


@pytest.fixture
def uninterrupted_run():
    """Store spiky series, run detection in-process; return what it stored, then forget it."""
    start = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) - dt.timedelta(minutes=N_POINTS + 5)
    rng = np.random.default_rng(13)
    for host in range(N_SERIES):
        values = 50 + 5 * np.sin(np.arange(N_POINTS) / 30) + rng.normal(0, 1, N_POINTS)
        values[rng.choice(np.arange(400, N_POINTS), 6, replace=False)] += 40
        write_samples(make_samples("load", {"host": f"h{host}"}, start, N_POINTS, 60, values))
    Detector.objects.update(enabled=False)
    Detector.objects.create(
        name="fast",
        selector="load",
        params={"min_train": 300, "retrain_every": 200, "train_size": 600, "warmup_seconds": 0},
    )
    run_detectors(dt.datetime.now(dt.UTC))
    stored = stored_detections()
    assert len(stored[0]) >= N_SERIES * 6 and stored[1]
    for model in (Anomaly, AnomalyEvent, DetectorState, JobRun):
        model.objects.all().delete()
    return stored


def stored_detections():
    anomalies = Anomaly.objects.values_list(
        "series__key", "ts", "score", "value", "expected", "lo", "hi", "direction", "model_version"
    )
    events = AnomalyEvent.objects.values_list(
        "series__key", "start", "end", "peak_score", "peak_ts", "n_points", "direction"
    )
    return sorted(anomalies), sorted(events)


def n_series_done() -> int:
    return DetectorState.objects.filter(watermark__isnull=False).count()


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def kill(processes: list[psutil.Process]) -> None:
    """SIGKILL, as the OOM killer does: no clean-up, no goodbye to the broker."""
    for process in processes:
        process.send_signal(signal.SIGKILL)
    psutil.wait_procs(processes, timeout=10)


def assert_resumed(summary: dict, done_at_kill: int) -> None:
    """The run that finished was the task's second, and it scored only what the first had not committed."""
    assert 2 <= done_at_kill < N_SERIES  # the kill came half-way
    assert summary["series"] == N_SERIES and summary["skipped"] == 0
    assert summary["points"] == (N_SERIES - done_at_kill) * N_POINTS
    # The killed run's record stays open until the watch job sees its process gone.
    assert close_abandoned_runs() == 1
    outcomes = sorted(JobRun.objects.filter(job="detect").values_list("outcome", flat=True))
    assert outcomes == [JobOutcome.ABANDONED, JobOutcome.OK]


def test_a_task_whose_pool_process_is_killed_runs_again_and_stores_what_an_uninterrupted_run_does(
    uninterrupted_run,
):
    require_redis()
    with private_queue() as (app, queue):
        worker = start_worker(queue, concurrency=1, **ONE_SHARD)
        try:
            result = app.send_task("tsmon.run_job_shard", args=["detect", 0, 1])
            wait_for(lambda: n_series_done() >= 2, 60, "the job to be half-way")
            kill(psutil.Process(worker.pid).children())
            done_at_kill = n_series_done()
            # The worker sees its pool process die and hands the task back to Redis.
            summary = result.get(timeout=60)
        finally:
            stop_worker(worker)

    assert_resumed(summary, done_at_kill)
    assert stored_detections() == uninterrupted_run


def test_a_task_of_a_worker_killed_whole_runs_on_another_worker_after_the_visibility_timeout(
    uninterrupted_run,
):
    require_redis()
    settings = {**ONE_SHARD, "TSMON_CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT)}
    with private_queue(PRIVATE_BROKER_URL) as (app, queue):
        first = start_worker(queue, 1, PRIVATE_BROKER_URL, **settings)
        second = None
        try:
            result = app.send_task("tsmon.run_job_shard", args=["detect", 0, 1])
            wait_for(lambda: n_series_done() >= 2, 60, "the job to be half-way")
            main = psutil.Process(first.pid)
            kill([main, *main.children(recursive=True)])
            first.wait(10)
            done_at_kill = n_series_done()
            # Nobody is left to hand the task back: Redis does, once it has
            # gone unacknowledged for the visibility timeout, to a worker that
            # looks (a worker looks when it starts, then every 100 s).
            time.sleep(VISIBILITY_TIMEOUT)
            second = start_worker(queue, 1, PRIVATE_BROKER_URL, **settings)
            summary = result.get(timeout=60)
        finally:
            stop_worker(first)
            if second is not None:
                stop_worker(second)

    assert_resumed(summary, done_at_kill)
    assert stored_detections() == uninterrupted_run
