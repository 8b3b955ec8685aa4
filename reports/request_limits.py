"""Requesting a report within the queue's limits.

Making a report costs seconds to minutes of a worker's time, and a request
only costs a POST: a client requesting reports in a loop would queue days
of work and starve everyone's reports. So at most
TSMON_MAX_QUEUED_REPORTS_PER_REQUESTER reports of one requester (a user, or
an API key by its name) and TSMON_MAX_QUEUED_REPORTS in all may be pending
or running at a time. Scheduled reports do not count against anyone and
are never refused: an administrator set them up.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection, transaction

from reports import jobs
from reports.choices import ReportStatus
from reports.models import Report

# How long a refused client is asked to wait: about the time a report takes.
RETRY_AFTER_SECONDS = 60
# Any constant of our own: it names the lock that makes count-then-insert atomic.
_QUEUE_LOCK = 7_401_862_519


class ReportQueueFull(Exception):
    """The requester (or everyone) has as many unfinished reports as allowed."""

    retry_after_seconds = RETRY_AFTER_SECONDS


def request_report_within_limits(requested_by: str, **request) -> Report:
    """`jobs.request_report(...)` unless the limits are reached (then ReportQueueFull)."""
    with transaction.atomic():
        # Two requests at once must not both see room for one more.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_QUEUE_LOCK])
        check_queue(requested_by)
        return jobs.request_report(requested_by=requested_by, **request)


def check_queue(requested_by: str) -> None:
    """Raise ReportQueueFull if one more report of `requested_by` would pass a limit."""
    unfinished = Report.objects.filter(status__in=[ReportStatus.PENDING, ReportStatus.RUNNING])
    mine = unfinished.filter(requested_by=requested_by, schedule__isnull=True).count()
    per_requester = settings.TSMON_MAX_QUEUED_REPORTS_PER_REQUESTER
    if mine >= per_requester:
        raise ReportQueueFull(
            f"{requested_by or 'you'} has {mine} report(s) pending or running, "
            f"the most one requester may have (TSMON_MAX_QUEUED_REPORTS_PER_REQUESTER={per_requester}); "
            "request another when one has finished"
        )
    overall = settings.TSMON_MAX_QUEUED_REPORTS
    if unfinished.count() >= overall:
        raise ReportQueueFull(
            f"{overall} reports are pending or running, the most tsmon queues "
            f"(TSMON_MAX_QUEUED_REPORTS={overall}); request another when one has finished"
        )
