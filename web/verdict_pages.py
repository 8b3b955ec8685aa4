"""Marking an anomaly event as a false positive from the anomalies page, and
taking the mark back. Both need the admin scope, as every write does."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from analytics import false_positives
from analytics.models import AnomalyEvent, FalsePositive
from core.scopes import ApiScope, scope_required


def _back(request):
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "anomaly-list"
    return redirect(target)


@scope_required(ApiScope.ADMIN)
@require_POST
def mark_false_positive(request, pk: int):
    event = get_object_or_404(AnomalyEvent.objects.select_related("series", "detector"), pk=pk)
    try:
        false_positives.mark(
            event, request.POST.get("reason", ""), request.user.get_username(), timezone.now()
        )
    except false_positives.MarkError as exc:
        messages.error(request, f"Not marked: {exc}")
    else:
        messages.success(
            request,
            f"Marked the event on {event.series.key} at {timezone.localtime(event.start):%b %d %H:%M}"
            " as a false positive.",
        )
    return _back(request)


@scope_required(ApiScope.ADMIN)
@require_POST
def unmark_false_positive(request, pk: int):
    mark = get_object_or_404(FalsePositive.objects.select_related("series"), pk=pk)
    mark.delete()
    messages.success(request, f"Took back the false-positive mark on {mark.series.key}.")
    return _back(request)
