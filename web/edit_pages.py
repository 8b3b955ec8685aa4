"""Dashboard pages for changing: create a dashboard, rename or delete it, add,
change, move and delete its panels.

Creating needs the write scope, as POST /api/v1/dashboards does; changing
a dashboard needs it too, and being its owner: anyone else gets a 403.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.http import HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core.scopes import ApiScope, scope_required
from web import dashboard_writer
from web.forms import DashboardForm, PanelForm
from web.models import Dashboard, Panel


def owner_only(view):
    """Page view decorator: sign in, have the write scope, own the dashboard `pk` (else 403)."""

    @scope_required(ApiScope.WRITE)
    @wraps(view)
    def checked(request, pk: int, *args, **kwargs):
        dashboard = get_object_or_404(Dashboard.objects.select_related("owner"), pk=pk)
        if not dashboard.is_owned_by(request.user):
            return HttpResponseForbidden(
                f"Only its owner, {dashboard.owner.get_username()}, may change this dashboard."
            )
        return view(request, dashboard, *args, **kwargs)

    return checked


@scope_required(ApiScope.WRITE)
def dashboard_new(request):
    form = DashboardForm(request.POST or None, instance=Dashboard(owner=request.user))
    if request.method == "POST" and form.is_valid():
        dashboard = dashboard_writer.save_dashboard(form.save(commit=False))
        messages.success(request, f"Created the dashboard {dashboard.title}: add its panels.")
        return redirect("dashboard-edit", pk=dashboard.pk)
    return render(request, "web/dashboard_form.html", {"form": form, "dashboard": None})


@owner_only
def dashboard_edit(request, dashboard: Dashboard):
    """GET: the title and the panels, with their buttons; POST: a new title."""
    form = DashboardForm(request.POST or None, instance=dashboard)
    if request.method == "POST" and form.is_valid():
        dashboard_writer.save_dashboard(form.save(commit=False))
        messages.success(request, f"Saved the dashboard {dashboard.title}.")
        return redirect("dashboard-edit", pk=dashboard.pk)
    context = {"form": form, "dashboard": dashboard, "panels": list(dashboard.panels.all())}
    return render(request, "web/dashboard_form.html", context)


@owner_only
@require_POST
def dashboard_delete(request, dashboard: Dashboard):
    title = dashboard.title
    dashboard.delete()
    messages.success(request, f"Deleted the dashboard {title}.")
    return redirect("dashboard-list")


@owner_only
def panel_new(request, dashboard: Dashboard):
    if dashboard.panels.count() >= dashboard_writer.MAX_PANELS:
        messages.error(request, f"A dashboard holds at most {dashboard_writer.MAX_PANELS} panels.")
        return redirect("dashboard-edit", pk=dashboard.pk)
    return _panel_form(request, dashboard, Panel(dashboard=dashboard), dashboard_writer.add_panel, "Added")


@owner_only
def panel_edit(request, dashboard: Dashboard, panel_pk: int):
    panel = get_object_or_404(Panel, pk=panel_pk, dashboard=dashboard)
    return _panel_form(request, dashboard, panel, dashboard_writer.save_panel, "Saved")


def _panel_form(request, dashboard: Dashboard, panel: Panel, store, done: str):
    form = PanelForm(request.POST or None, instance=panel)
    if request.method == "POST" and form.is_valid():
        saved = store(form.save(commit=False))
        messages.success(request, f"{done} the panel {saved}.")
        return redirect("dashboard-edit", pk=dashboard.pk)
    return render(request, "web/panel_form.html", {"form": form, "dashboard": dashboard, "panel": panel})


@owner_only
@require_POST
def panel_delete(request, dashboard: Dashboard, panel_pk: int):
    panel = get_object_or_404(Panel, pk=panel_pk, dashboard=dashboard)
    dashboard_writer.delete_panel(panel)
    messages.success(request, f"Deleted the panel {panel}.")
    return redirect("dashboard-edit", pk=dashboard.pk)


@owner_only
@require_POST
def panel_move(request, dashboard: Dashboard, panel_pk: int):
    panel = get_object_or_404(Panel, pk=panel_pk, dashboard=dashboard)
    dashboard_writer.move_panel(panel, -1 if request.POST.get("direction") == "up" else 1)
    return redirect("dashboard-edit", pk=dashboard.pk)
