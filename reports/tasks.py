"""Celery task: one line calling the job (see reports/jobs.py)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from reports import jobs


@shared_task(name=jobs.GENERATE_TASK)
def generate_report(report_id: int) -> str | None:
    report = jobs.generate_report(report_id, timezone.now())
    return report.status if report else None
