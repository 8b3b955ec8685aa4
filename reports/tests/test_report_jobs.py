"""How reports get made: schedules, e-mail, a dead worker's report taken over, Celery.

The reports here are small (one series, a day) so that each test makes
real ones quickly; what their content says is tested on the demo data
(test_demo_reports.py).
"""

from __future__ import annotations

import datetime as dt
import time

import numpy as np
import pytest
from django.core import mail

from ingestion import writer
from reports import jobs
from reports.choices import ReportStatus
from reports.models import STALE_AFTER, Report, ReportSchedule
from tsmon.celery import app as tsmon_app
from tsmon.testing import forget_write_caches, make_samples
from tsmon.testing_celery import REDIS_URL, celery_worker, require_redis

NOW = dt.datetime(2026, 11, 25, 7, 30, tzinfo=dt.UTC)  # a Wednesday, after the schedules' 06:00


@pytest.fixture
def a_day_of_cpu(db):
    forget_write_caches()
    start = NOW - dt.timedelta(days=1)
    values = 50 + np.random.default_rng(5).normal(0, 2, 24 * 60)
    writer.write_samples(make_samples("cpu_usage_percent", {"host": "web-1"}, start, values.size, 60, values))


def test_a_due_schedule_requests_its_report_once_and_mails_it_when_made(a_day_of_cpu, settings):
    settings.TSMON_PUBLIC_URL = "https://tsmon.example.com"
    schedule = ReportSchedule.objects.create(
        name="daily-cpu",
        kind="anomaly",
        selector="cpu_usage_percent",
        frequency="daily",
        email_to=["ops@x.org"],
    )

    assert jobs.run_due_report_schedules(NOW) == {"requested": 1}
    assert jobs.run_due_report_schedules(NOW + dt.timedelta(minutes=1)) == {"requested": 0}  # done today
    assert jobs.process_pending_reports(NOW) == {"done": 1, "failed": 0}

    report = Report.objects.get(schedule=schedule)
    assert (report.period_start, report.period_end) == (NOW - dt.timedelta(days=1), NOW)
    (message,) = mail.outbox
    assert message.to == ["ops@x.org"] and message.subject.startswith("[tsmon] ")
    assert f"https://tsmon.example.com/reports/{report.pk}/" in message.body
    assert message.alternatives == [(report.html, "text/html")] and report.html.startswith("<!doctype html>")


def test_a_schedule_is_not_due_before_its_hour(a_day_of_cpu):
    ReportSchedule.objects.create(name="late", kind="anomaly", frequency="daily", hour=9, last_run_at=NOW)

    assert jobs.run_due_report_schedules(NOW + dt.timedelta(hours=1)) == {"requested": 0}
    assert jobs.run_due_report_schedules(NOW + dt.timedelta(hours=2)) == {"requested": 1}


def test_a_report_left_running_by_a_dead_worker_is_taken_over_only_once_stale(a_day_of_cpu):
    abandoned = jobs.request_report("anomaly", NOW)
    busy = jobs.request_report("anomaly", NOW)
    Report.objects.filter(pk=abandoned.pk).update(
        status=ReportStatus.RUNNING, progress_at=NOW - STALE_AFTER - dt.timedelta(minutes=1)
    )
    Report.objects.filter(pk=busy.pk).update(
        status=ReportStatus.RUNNING, progress_at=NOW - dt.timedelta(minutes=1)
    )

    assert jobs.process_pending_reports(NOW) == {"done": 1, "failed": 0}

    abandoned.refresh_from_db()
    busy.refresh_from_db()
    assert abandoned.status == ReportStatus.DONE
    assert (busy.status, busy.html) == (ReportStatus.RUNNING, "")  # still its worker's
    assert jobs.claim(abandoned.pk, NOW) is None  # made: nobody takes it again


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_a_report_requested_with_a_broker_is_made_by_a_celery_worker(a_day_of_cpu, settings):
    require_redis()
    settings.CELERY_BROKER_URL = REDIS_URL
    with celery_worker() as app:
        app.set_current()  # what request_report sends through, in this process only
        try:
            report = jobs.request_report("anomaly", NOW)
        finally:
            tsmon_app.set_current()
        deadline = time.monotonic() + 60
        while Report.objects.get(pk=report.pk).status != ReportStatus.DONE and time.monotonic() < deadline:
            time.sleep(0.2)

    report.refresh_from_db()
    assert report.status == ReportStatus.DONE and "Anomaly report" in report.html
