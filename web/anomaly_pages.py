"""Pages of anomaly events and alerts (with acknowledge)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_POST

from alerts import silencing
from alerts.choices import OPEN_STATES, AlertState
from alerts.models import Alert
from analytics import false_positives
from analytics.choices import AnomalyKind
from analytics.models import AnomalyEvent, Detector, DetectorState
from core.scopes import ApiScope, person_has_scope, scope_required
from ingestion.models import Series
from ingestion.queries import select_series
from ingestion.selectors import SelectorError, parse_selector
from web import incidents
from web.time_picker import RANGES, pick_range, range_around

PAGE_SIZE = 50
SCORES = ("0.5", "0.7", "0.9")
DEFAULT_SCORE = f"{incidents.DEFAULT_MIN_SCORE:g}"
ALERT_FILTERS = ("open", "all", *AlertState.values)


def filtered_events(request, start, end):
    """Anomaly events overlapping [start, end), filtered by the form."""
    params = request.GET
    queryset = AnomalyEvent.objects.filter(end__gte=start, start__lt=end)
    if selector := params.get("match", "").strip():
        try:
            queryset = queryset.filter(
                series__in=select_series(parse_selector(selector), Series.objects.all())
            )
        except SelectorError as exc:
            messages.error(request, f"Selector: {exc}")
            queryset = queryset.none()
    # Absent (a first visit): incidents only; empty (the form's "any"): every score.
    min_score = params.get("min_score", DEFAULT_SCORE)
    if min_score in SCORES:
        queryset = queryset.filter(peak_score__gte=float(min_score))
    if params.get("own") != "1":
        queryset = incidents.without_own_series(queryset)
    if detector := params.get("detector"):
        queryset = queryset.filter(detector__name=detector)
    if params.get("kind") in AnomalyKind.values:
        queryset = queryset.filter(kind=params["kind"])
    queryset = false_positives.filter_verdict(queryset, params.get("false_positives", ""))
    queryset = false_positives.with_verdicts(queryset)
    return queryset.select_related("series", "detector").order_by("-start", "-id")


@login_required
def anomaly_list(request):
    now = timezone.now()
    picked = pick_range(request.GET, now, default="14d")
    page = Paginator(filtered_events(request, picked.start, picked.end), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    events = list(page.object_list)
    for event in events:
        event.chart_query = urlencode(range_around(event.start, event.end, now))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "events": events,
        "picked": picked,
        "ranges": list(RANGES),
        "scores": SCORES,
        "min_score": request.GET.get("min_score", DEFAULT_SCORE),
        "default_view": "min_score" not in request.GET and "own" not in request.GET,
        "kinds": AnomalyKind.choices,
        "detectors": Detector.objects.order_by("name").values_list("name", flat=True),
        # Series in their detector's warm-up (first day): scored, but no events yet.
        "learning": DetectorState.objects.filter(learning=True, detector__enabled=True).count(),
        "params": request.GET,
        "page_query": query.urlencode(),
        "may_judge": person_has_scope(request.user, ApiScope.ADMIN),
    }
    return render(request, "analytics/anomaly_list.html", context)


def filtered_alerts(state: str):
    queryset = Alert.objects.select_related("rule", "series", "silenced_by")
    if state == "open":
        queryset = queryset.filter(state__in=OPEN_STATES)
    elif state in AlertState.values:
        queryset = queryset.filter(state=state)
    return queryset.order_by("-started_at", "-id")


@login_required
def alert_list(request):
    state = request.GET.get("state") if request.GET.get("state") in ALERT_FILTERS else "open"
    page = Paginator(filtered_alerts(state), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "alerts": list(page.object_list),
        "state": state,
        "states": ALERT_FILTERS,
        "page_query": urlencode({"state": state}),
        "can_acknowledge": person_has_scope(request.user, ApiScope.ADMIN),
        "durations": silencing.DURATION_CHOICES,  # of the silence form in each open alert's row
    }
    return render(request, "analytics/alert_list.html", context)


@scope_required(ApiScope.ADMIN)  # as POST /api/v1/alerts/{id}/acknowledge
@require_POST
def acknowledge_alert(request, pk: int):
    alert = get_object_or_404(Alert.objects.select_related("rule", "series"), pk=pk)
    if not alert.is_open:
        messages.error(
            request, f"{alert.rule.name} on {alert.series.key} is {alert.state}; it cannot be acknowledged."
        )
    elif alert.acknowledged_at is None:
        alert.acknowledge(request.user.get_username(), timezone.now())
        messages.success(request, f"Acknowledged {alert.rule.name} on {alert.series.key}.")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "alert-list"
    return redirect(target)
