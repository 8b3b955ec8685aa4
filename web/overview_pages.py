"""The overview page: hosts, firing alerts, recent anomaly events, reports."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from analytics.models import AnomalyEvent
from web import anomaly_queries, incidents
from web.live import json_login_required, live_context, live_response

RECENT = dt.timedelta(hours=24)
RECENT_EVENTS = 15
FRAGMENTS = {
    "counts": "pages/_overview_counts.html",
    "alerts": "pages/_overview_alerts.html",
    "events": "pages/_overview_events.html",
    "hosts": "pages/_overview_hosts.html",
}


def overview_context(now: dt.datetime) -> dict:
    since = now - RECENT
    return {
        "counts": anomaly_queries.overview_counts(since),
        "hosts": anomaly_queries.hosts(since),
        "alerts": anomaly_queries.open_alerts(),
        # Incidents, as the anomalies page shows by default: not tsmon's own noise.
        "events": incidents.recent(AnomalyEvent.objects.all(), RECENT_EVENTS),
        "now": now,
    }


@login_required
def overview(request):
    stamp = anomaly_queries.overview_stamp()
    context = overview_context(timezone.now()) | live_context(reverse("overview-live"), stamp)
    return render(request, "pages/overview.html", context)


@json_login_required
def overview_live(request):
    stamp = anomaly_queries.overview_stamp()
    return live_response(request, stamp, FRAGMENTS, lambda: overview_context(timezone.now()))
