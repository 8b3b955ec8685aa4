"""Report jobs: load → build → render → store, with progress saved on the Report row.

Generation never runs in a web request. A request (API, page, schedule)
only stores a pending Report. With a Celery broker configured it also
queues `reports.tasks.generate_report`; either way the scheduler's
`process_pending_reports` picks up whatever is still pending, so a report
is made even when the broker lost the message. The table is the queue: a
report is claimed by a conditional UPDATE, so two workers never make the
same one.
"""

from __future__ import annotations

import datetime as dt
import logging

from celery import current_app
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.job_runs import recorded
from reports import builders, inputs
from reports.choices import ReportKind, ReportStatus
from reports.models import STALE_AFTER, Report, ReportSchedule
from reports.rendering import render_html

logger = logging.getLogger(__name__)

DEFAULT_PERIOD = {
    ReportKind.FORECAST: dt.timedelta(days=14),
    ReportKind.CAPACITY: dt.timedelta(days=14),
    ReportKind.ANOMALY: dt.timedelta(days=7),
}
MAX_REPORTS_PER_ROUND = 5  # a scheduler round stays short; the rest waits for the next one

GENERATE_TASK = "reports.generate_report"  # reports.tasks.generate_report


def request_report(
    kind: str,
    end: dt.datetime,
    start: dt.datetime | None = None,
    selector: str = "",
    params: dict | None = None,
    title: str = "",
    requested_by: str = "",
    schedule: ReportSchedule | None = None,
) -> Report:
    """Store a pending report (and queue it on Celery when there is a broker)."""
    report = Report.objects.create(
        kind=kind,
        title=title,
        selector=selector,
        params=params or {},
        period_start=start or end - DEFAULT_PERIOD[kind],
        period_end=end,
        requested_by=requested_by,
        schedule=schedule,
    )
    if settings.CELERY_BROKER_URL:
        # By name: the task module imports this one, not the other way round.
        transaction.on_commit(lambda: current_app.send_task(GENERATE_TASK, args=[report.pk]))
    return report


def claim(report_id: int, now: dt.datetime) -> Report | None:
    """Take a pending (or abandoned) report for this worker; None if someone else has it."""
    abandoned = Q(status=ReportStatus.RUNNING) & (
        Q(progress_at__lt=now - STALE_AFTER) | Q(progress_at__isnull=True, started_at__lt=now - STALE_AFTER)
    )
    taken = Report.objects.filter(Q(status=ReportStatus.PENDING) | abandoned, pk=report_id).update(
        status=ReportStatus.RUNNING, started_at=now, progress_at=now, progress=0, stage="starting", error=""
    )
    return Report.objects.get(pk=report_id) if taken == 1 else None


def generate_claimed(report: Report, now: dt.datetime) -> Report:
    """Make a claimed report and store it; a failure is stored on the report, not raised."""
    try:
        with recorded("report", report=report.pk, kind=report.kind):
            content = build_content(report, _progress_saver(report))
            _save_progress(report, 95, "rendering")
            html = render_html(content)
    except Exception as exc:
        logger.exception("report %s failed", report.pk)
        _finish(report, status=ReportStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:4000])
        return report
    _finish(
        report,
        status=ReportStatus.DONE,
        progress=100,
        stage="done",
        content=content,
        html=html,
        summary=content["summary"],
        title=report.title or content["title"],
    )
    if report.schedule and report.schedule.email_to:
        send_report(report)
    return report


def generate_report(report_id: int, now: dt.datetime) -> Report | None:
    """Claim and make one report (Celery's entry point); None if it is not ours to make."""
    report = claim(report_id, now)
    return generate_claimed(report, now) if report else None


def process_pending_reports(now: dt.datetime) -> dict:
    """Make the pending reports, oldest first (a scheduler job)."""
    candidates = Report.objects.filter(
        Q(status=ReportStatus.PENDING) | Q(status=ReportStatus.RUNNING, progress_at__lt=now - STALE_AFTER)
    ).order_by("created_at")
    totals = {"done": 0, "failed": 0}
    for report_id in candidates.values_list("pk", flat=True)[:MAX_REPORTS_PER_ROUND]:
        report = generate_report(report_id, now)
        if report is not None:
            totals["done" if report.status == ReportStatus.DONE else "failed"] += 1
    return totals


def run_due_report_schedules(now: dt.datetime) -> dict:
    """Request a report for every schedule that is due (a scheduler job)."""
    requested = 0
    for schedule in ReportSchedule.objects.filter(enabled=True):
        if not schedule.is_due(now):
            continue
        with transaction.atomic():
            # The conditional update makes a schedule fire once even with two schedulers.
            marked = ReportSchedule.objects.filter(pk=schedule.pk, last_run_at=schedule.last_run_at).update(
                last_run_at=now
            )
            if marked:
                request_report(
                    schedule.kind,
                    end=now,
                    start=now - schedule.period(),
                    selector=schedule.selector,
                    params=schedule.params,
                    requested_by=f"schedule:{schedule.name}",
                    schedule=schedule,
                )
                requested += 1
    return {"requested": requested}


def build_content(report: Report, progress: inputs.Progress) -> dict:
    """Load what the report needs and build its content (no rendering, nothing saved)."""
    request = builders.ReportRequest(
        kind=report.kind,
        start=report.period_start,
        end=report.period_end,
        scope=report.selector,
        title=report.title,
        params=report.params,
    )
    progress(2, "selecting series")
    scope = inputs.series_in_scope(report.selector)
    if report.kind == ReportKind.ANOMALY:
        return _anomaly_content(request, scope, progress)
    series = list(scope.filter(capacity__isnull=False) if report.kind == ReportKind.CAPACITY else scope)
    progress(5, "reading coverage")
    coverage = inputs.coverage(series, request.start, request.end)
    horizon = (
        dt.timedelta(days=float(request.params.get("days", 14)))
        if report.kind == ReportKind.CAPACITY
        else max(builders.parse_horizon(h) for h in request.params.get("horizons", builders.DEFAULT_HORIZONS))
    )
    forecasts = inputs.forecasts(
        series,
        request.end,
        history=request.end - request.start,
        horizon=horizon,
        progress=lambda fraction, stage: progress(10 + 80 * fraction, stage),
    )
    progress(90, "writing the report")
    build = (
        builders.build_capacity_report
        if report.kind == ReportKind.CAPACITY
        else builders.build_forecast_report
    )
    return build(request, forecasts, coverage)


def _anomaly_content(request: builders.ReportRequest, scope, progress: inputs.Progress) -> dict:
    progress(5, "reading coverage")
    coverage = inputs.coverage(list(scope), request.start, request.end)
    progress(20, "reading anomaly events")
    events = inputs.events(scope, request.start, request.end)
    progress(50, "comparing peer groups")
    groups = inputs.peer_group_frames(scope, request.start, request.end)
    progress(80, "reading alerts")
    alerts = inputs.alerts(scope, request.start, request.end)
    progress(90, "writing the report")
    return builders.build_anomaly_report(request, events, groups, alerts, coverage)


def send_report(report: Report) -> None:
    """E-mail a finished scheduled report: the summary as text, the report as HTML."""
    link = f"{settings.TSMON_PUBLIC_URL}/reports/{report.pk}/"
    text = "\n".join([*report.summary, "", link])
    message = EmailMultiAlternatives(
        subject=f"[tsmon] {report}", body=text, to=list(report.schedule.email_to)
    )
    message.attach_alternative(report.html, "text/html")
    try:
        message.send()
    except OSError:
        logger.exception("could not e-mail report %s", report.pk)


def _progress_saver(report: Report) -> inputs.Progress:
    def save(percent: float, stage: str) -> None:
        _save_progress(report, percent, stage)

    return save


def _save_progress(report: Report, percent: float, stage: str) -> None:
    # Saved outside any transaction, so the API and the page see it at once.
    report.progress, report.stage, report.progress_at = int(percent), stage[:200], timezone.now()
    Report.objects.filter(pk=report.pk).update(
        progress=report.progress, stage=report.stage, progress_at=report.progress_at
    )


def _finish(report: Report, **fields) -> None:
    fields["finished_at"] = timezone.now()
    for name, value in fields.items():
        setattr(report, name, value)
    report.save(update_fields=list(fields))
