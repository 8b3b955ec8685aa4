import pytest

from tsmon.scheduler import PeriodicJob, Scheduler


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
    assert "job broken failed" in caplog.text


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


@pytest.mark.django_db
def test_run_scheduler_once_runs_every_job_and_exits():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("run_scheduler", "--once", stdout=out)

    assert "maintain_partitions" in out.getvalue()
