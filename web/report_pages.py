"""Server-rendered pages: the list of reports (with filters and a request form) and one report."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST
from rest_framework.exceptions import ValidationError

from core.scopes import ApiScope, person_has_scope, scope_required
from reports.api import filter_reports
from reports.choices import ReportKind, ReportStatus
from reports.models import Report
from reports.request_limits import ReportQueueFull, request_report_within_limits
from reports.serializers import ReportSerializer

PAGE_SIZE = 50


@login_required
def report_list(request):
    try:
        reports = filter_reports(request.GET, Report.objects.defer("content", "html"), empty_is_any=True)
    except ValidationError as exc:
        messages.error(request, exc.detail.get("detail", "bad filter"))
        reports = Report.objects.none()
    page = Paginator(reports.order_by("-created_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/list.html",
        {
            "page": page,
            "kinds": ReportKind.choices,
            "filters": request.GET,
            "can_request": person_has_scope(request.user, ApiScope.ADMIN),
        },
    )


@scope_required(ApiScope.ADMIN)  # as POST /api/v1/reports
@require_POST
def request_report(request):
    data = {"kind": request.POST.get("kind"), "selector": request.POST.get("selector", "")}
    if request.POST.get("days"):
        data["params"] = {"days": _number(request.POST["days"])}
    serializer = ReportSerializer(data=data)
    if not serializer.is_valid():
        messages.error(
            request, "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in serializer.errors.items())
        )
        return redirect("reports:list")
    fields = serializer.validated_data
    try:
        report = request_report_within_limits(
            request.user.username, kind=fields["kind"], end=fields["period_end"],
            selector=fields.get("selector", ""), params=fields.get("params", {}),
        )  # fmt: skip
    except ReportQueueFull as exc:
        messages.error(request, str(exc))
        return redirect("reports:list")
    return redirect("reports:detail", pk=report.pk)


@login_required
def report_detail(request, pk: int):
    report = get_object_or_404(Report.objects.defer("content", "html"), pk=pk)
    running = report.status in (ReportStatus.PENDING, ReportStatus.RUNNING)
    return render(
        request, "reports/detail.html", {"report": report, "running": running, "now": timezone.now()}
    )


@login_required
@xframe_options_sameorigin
def report_document(request, pk: int):
    """The stored HTML of one report, as it was generated (shown in the report's page)."""
    report = get_object_or_404(Report.objects.only("html", "status"), pk=pk, status=ReportStatus.DONE)
    return HttpResponse(report.html, content_type="text/html; charset=utf-8")


def _number(text: str):
    try:
        return float(text)
    except ValueError:
        return text  # the serializer names it
