import logging
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from core.schedule import default_jobs
from core.scheduler import PeriodicJob, Scheduler, did_something


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.mark.django_db
def test_each_job_runs_when_due_and_not_before():
    clock, calls = FakeClock(), []
    fast = PeriodicJob("fast", 10, lambda now: calls.append("fast"))
    slow = PeriodicJob("slow", 60, lambda now: calls.append("slow"))
    scheduler = Scheduler([fast, slow], clock=clock)

    assert scheduler.run_due() == ["fast", "slow"]
    clock.now = 5
    assert scheduler.run_due() == []
    assert scheduler.seconds_until_next() == 5
    clock.now = 10
    assert scheduler.run_due() == ["fast"]
    clock.now = 61
    assert scheduler.run_due() == ["fast", "slow"]


@pytest.mark.django_db
def test_a_failing_job_does_not_stop_the_others(caplog):
    calls = []

    def broken(now):
        raise RuntimeError("boom")

    scheduler = Scheduler(
        [PeriodicJob("broken", 1, broken), PeriodicJob("ok", 1, lambda now: calls.append(now))]
    )

    assert scheduler.run_due() == ["broken", "ok"]
    assert len(calls) == 1
    assert scheduler.failed == ["broken"]
    assert "job broken failed" in caplog.text


@pytest.mark.django_db
def test_a_round_with_nothing_to_do_is_logged_at_debug_level_only(caplog):
    idle = PeriodicJob("idle", 1, lambda now: {"done": 0, "failed": 0, "targets": []})
    busy = PeriodicJob("busy", 1, lambda now: {"done": 2, "failed": 0})

    with caplog.at_level(logging.DEBUG, logger="core.scheduler"):
        Scheduler([idle, busy]).run_due()

    levels = {record.getMessage().split(" done")[0]: record.levelno for record in caplog.records}
    assert levels == {"job idle": logging.DEBUG, "job busy": logging.INFO}


@pytest.mark.parametrize(
    ("outcome", "did"),
    [(None, False), ({}, False), ([], False), ({"a": 0, "b": [], "c": 0.0}, False), ({"a": {"b": 1}}, True),
     ([{"written": 0}], True), (3, True), ("text", True)],
)  # fmt: skip
def test_did_something_counts_any_work_in_an_outcome(outcome, did):
    assert did_something(outcome) is did


@pytest.mark.django_db
def test_stop_ends_the_loop_before_the_next_job():
    scheduler = Scheduler([])
    order = []
    scheduler.jobs = [
        PeriodicJob("first", 1, lambda now: (order.append("first"), scheduler.stop())),
        PeriodicJob("second", 1, lambda now: order.append("second")),
    ]

    scheduler.run_forever()

    assert order == ["first"]


# Transactional: the scheduler closes connections between jobs, as it must
# after a database restart, which a test transaction would not survive.
@pytest.mark.django_db(transaction=True)
def test_run_scheduler_once_runs_every_job_and_exits():
    out = StringIO()
    call_command("run_scheduler", "--once", stdout=out)

    ran = out.getvalue().split(": ", 2)[2].strip().split(", ")
    assert ran == [job.name for job in default_jobs()]


@pytest.mark.django_db(transaction=True)
def test_run_scheduler_once_exits_with_an_error_naming_the_jobs_that_failed(monkeypatch):
    def broken(now):
        raise RuntimeError("boom")

    monkeypatch.setattr(
        "core.management.commands.run_scheduler.default_jobs",
        lambda: [PeriodicJob("broken", 60, broken), PeriodicJob("fine", 60, lambda now: None)],
    )

    with pytest.raises(CommandError, match="failed: broken"):
        call_command("run_scheduler", "--once", stdout=StringIO())
