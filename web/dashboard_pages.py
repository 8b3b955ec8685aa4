"""Dashboard pages for reading: the list, a dashboard, one panel, a panel's download.

Every page is behind login (the read scope). The query string sets the
view's time (web.panel_ranges): `range=6h` for every panel, `end=…` for a
fixed window, so a view's address is its permalink.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.http import urlencode

from core.scopes import ApiScope, person_has_scope
from web.models import Dashboard, Panel
from web.panel_data import load_panel
from web.panel_files import panel_csv, panel_png, panel_svg
from web.panel_ranges import ViewRange, view_range
from web.panel_views import EXPORT_FORMATS, panel_view, panel_window
from web.time_picker import RANGES

CONTENT_TYPES = {"svg": "image/svg+xml", "png": "image/png", "csv": "text/csv; charset=utf-8"}


@login_required
def dashboard_list(request):
    dashboards = Dashboard.objects.select_related("owner").annotate(n_panels=Count("panels"))
    context = {
        "dashboards": list(dashboards),
        "may_create": person_has_scope(request.user, ApiScope.WRITE),
    }
    return render(request, "web/dashboard_list.html", context)


@login_required
def dashboard_detail(request, pk: int):
    dashboard = get_object_or_404(Dashboard.objects.select_related("owner"), pk=pk)
    now, view = _now(), _view(request)
    tz = _zone(request)
    panels = [panel_view(panel, view, now, tz) for panel in dashboard.panels.all()]
    context = _time_context(view, now, tz) | {
        "dashboard": dashboard,
        "panels": panels,
        "may_edit": _may_edit(request, dashboard),
    }
    return render(request, "web/dashboard_detail.html", context)


@login_required
def panel_detail(request, pk: int, panel_pk: int):
    panel = _panel(pk, panel_pk)
    now, view = _now(), _view(request)
    tz = _zone(request)
    shown = panel_view(panel, view, now, tz)
    context = _time_context(view, now, tz) | {
        "dashboard": panel.dashboard,
        "shown": shown,
        "may_edit": _may_edit(request, panel.dashboard),
    }
    return render(request, "web/panel_detail.html", context)


@login_required
def panel_export(request, pk: int, panel_pk: int, file_format: str):
    """The panel over the view's window as SVG, PNG or CSV (a download)."""
    if file_format not in EXPORT_FORMATS:
        raise Http404(f"no {file_format} export; there are {', '.join(EXPORT_FORMATS)}")
    panel = _panel(pk, panel_pk)
    # A bad `range` or `end` is left out, as on the pages; unsaid: a download has no page to say it on.
    data = load_panel(panel, *panel_window(panel, view_range(request.GET, _now()), _now()))
    if file_format == "csv":
        body = panel_csv(data)
    else:
        body = (panel_svg if file_format == "svg" else panel_png)(data, _zone(request))
    response = HttpResponse(body, content_type=CONTENT_TYPES[file_format])
    name = f"dashboard-{pk}-panel-{panel_pk}-{data.end:%Y%m%dT%H%M%SZ}.{file_format}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _panel(pk: int, panel_pk: int) -> Panel:
    return get_object_or_404(Panel.objects.select_related("dashboard__owner"), pk=panel_pk, dashboard_id=pk)


def _now():
    # Whole seconds, as a permalink's `end` is written: the window it fixes is the one shown.
    return timezone.now().replace(microsecond=0)


def _view(request) -> ViewRange:
    view = view_range(request.GET, _now())
    for error in view.errors:
        messages.error(request, f"{error}; shown without it")
    return view


def _zone(request) -> str:
    """The person's time zone (core.time_zones, set by the middleware), else the site's."""
    zone = getattr(request, "person_zone", None)
    return zone.name if zone else settings.TIME_ZONE


def _may_edit(request, dashboard: Dashboard) -> bool:
    return dashboard.is_owned_by(request.user) and person_has_scope(request.user, ApiScope.WRITE)


def _time_context(view: ViewRange, now, tz: str) -> dict:
    """The picker's links (each keeps the view's end), the permalink, and the view's own query."""
    end = {"end": view.query()["end"]} if view.end else {}
    return {
        "view": view,
        "time_zone": tz,
        "range_links": [(key, urlencode({"range": key, **end})) for key in RANGES],
        "own_ranges_query": urlencode(end),
        "now_query": urlencode({"range": view.span_text} if view.span else {}),
        "pinned_query": urlencode(view.pinned(now)),
    }
