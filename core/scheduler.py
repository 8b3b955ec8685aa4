"""The in-process scheduler: runs every periodic job of tsmon on its interval.

One loop, one process: each round runs the jobs that are due, one after
another, then sleeps until the next one is due. A failing job is logged and
retried at its next turn; it never stops the others. SIGTERM and SIGINT end
the loop after the job that is running.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import close_old_connections
from django.utils import timezone

logger = logging.getLogger(__name__)


@dataclass
class PeriodicJob:
    name: str
    interval_seconds: float
    run: Callable[..., object]  # takes `now` (and shard, n_shards if sharded); its return value is logged
    # A sharded job splits its series by id across Celery tasks; in-process
    # it runs as the one shard of one.
    sharded: bool = False
    next_due: float = field(default=0.0)  # monotonic time


class Scheduler:
    def __init__(self, jobs: list[PeriodicJob], clock: Callable[[], float] = time.monotonic):
        self.jobs = jobs
        self.clock = clock
        self.stopping = threading.Event()
        self.failed: list[str] = []  # jobs whose last run failed, in order

    def install_signal_handlers(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: self.stop())

    def stop(self) -> None:
        self.stopping.set()

    def run_forever(self) -> None:
        while not self.stopping.is_set():
            self.run_due()
            self.stopping.wait(self.seconds_until_next())

    def run_due(self) -> list[str]:
        """Run every job that is due now; return their names."""
        ran = []
        for job in self.jobs:
            if self.stopping.is_set():
                break
            if self.clock() >= job.next_due:
                if self.run_job(job):
                    self.failed = [name for name in self.failed if name != job.name]
                elif job.name not in self.failed:
                    self.failed.append(job.name)
                job.next_due = self.clock() + job.interval_seconds
                ran.append(job.name)
        return ran

    def run_job(self, job: PeriodicJob) -> bool:
        """Run one job now; return whether it succeeded."""
        close_old_connections()  # a database restart must not poison later rounds
        started = time.perf_counter()
        try:
            outcome = job.run(timezone.now())
        except Exception:
            logger.exception("job %s failed after %.1fs", job.name, time.perf_counter() - started)
            return False
        # A round with nothing to do (no target due, no report pending) is
        # most rounds: at debug level, or the log would say so every 5 s.
        level = logging.INFO if did_something(outcome) else logging.DEBUG
        logger.log(level, "job %s done in %.1fs: %s", job.name, time.perf_counter() - started, outcome)
        return True

    def seconds_until_next(self) -> float:
        if not self.jobs:
            return 60.0
        return max(0.0, min(job.next_due for job in self.jobs) - self.clock())


def did_something(outcome) -> bool:
    """Whether a job's outcome counts any work: a non-zero count, a non-empty list."""
    if isinstance(outcome, dict):
        return any(did_something(value) for value in outcome.values())
    if isinstance(outcome, list | tuple | set):
        return len(outcome) > 0
    if isinstance(outcome, bool):
        return outcome
    if isinstance(outcome, int | float):
        return outcome != 0
    return outcome is not None
