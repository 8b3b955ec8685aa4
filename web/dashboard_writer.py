"""Changes to dashboards and their panels, each in one transaction, each
marking the dashboard updated. The API and the pages both write through here."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from web.models import Dashboard, Panel

PANEL_FIELDS = ("title", "selector", "aggregation", "step", "range")
MAX_PANELS = 24


@transaction.atomic
def save_dashboard(dashboard: Dashboard, panels: list[dict] | None = None) -> Dashboard:
    """Store `dashboard` (new or changed) and, given `panels`, make its panels these, in
    this order: one with the `id` of a panel of this dashboard changes that panel (its
    permalink stays), one without is added, and the panels left out are deleted.
    A field a panel leaves out takes its default."""
    dashboard.updated_at = timezone.now()
    dashboard.save()
    if panels is None:
        return dashboard
    kept = {fields["id"] for fields in panels if fields.get("id")}
    dashboard.panels.exclude(pk__in=kept).delete()
    existing = {panel.pk: panel for panel in dashboard.panels.all()}
    for position, fields in enumerate(panels):
        panel = existing.get(fields.get("id")) or Panel(dashboard=dashboard)
        for name in PANEL_FIELDS:
            setattr(panel, name, fields.get(name, Panel._meta.get_field(name).get_default()))
        panel.position = position
        panel.save()
    return dashboard


@transaction.atomic
def add_panel(panel: Panel) -> Panel:
    """Store a new panel last on its dashboard."""
    last = panel.dashboard.panels.aggregate(last=Max("position"))["last"]
    panel.position = 0 if last is None else last + 1
    panel.save()
    _touch(panel.dashboard)
    return panel


@transaction.atomic
def save_panel(panel: Panel) -> Panel:
    panel.save()
    _touch(panel.dashboard)
    return panel


@transaction.atomic
def delete_panel(panel: Panel) -> None:
    panel.delete()
    _touch(panel.dashboard)


@transaction.atomic
def move_panel(panel: Panel, offset: int) -> None:
    """Move a panel `offset` places (−1: up, 1: down) among its dashboard's panels."""
    panels = list(panel.dashboard.panels.select_for_update())
    index = next(i for i, p in enumerate(panels) if p.pk == panel.pk)
    target = min(max(index + offset, 0), len(panels) - 1)
    panels.insert(target, panels.pop(index))
    for position, moved in enumerate(panels):
        if moved.position != position:
            moved.position = position
            moved.save(update_fields=["position"])
    _touch(panel.dashboard)


def _touch(dashboard: Dashboard) -> None:
    dashboard.updated_at = timezone.now()
    dashboard.save(update_fields=["updated_at"])
