"""Routes of the dashboard pages, under /dashboards/ (all behind login)."""

from django.urls import path

from web import dashboard_pages, edit_pages

PANEL = "<int:pk>/panels/<int:panel_pk>"

urlpatterns = [
    path("", dashboard_pages.dashboard_list, name="dashboard-list"),
    path("new", edit_pages.dashboard_new, name="dashboard-new"),
    path("<int:pk>/", dashboard_pages.dashboard_detail, name="dashboard-detail"),
    path("<int:pk>/edit", edit_pages.dashboard_edit, name="dashboard-edit"),
    path("<int:pk>/delete", edit_pages.dashboard_delete, name="dashboard-delete"),
    path("<int:pk>/panels/new", edit_pages.panel_new, name="panel-new"),
    path(f"{PANEL}/", dashboard_pages.panel_detail, name="panel-detail"),
    path(f"{PANEL}/edit", edit_pages.panel_edit, name="panel-edit"),
    path(f"{PANEL}/delete", edit_pages.panel_delete, name="panel-delete"),
    path(f"{PANEL}/move", edit_pages.panel_move, name="panel-move"),
    path(f"{PANEL}/export.<str:file_format>", dashboard_pages.panel_export, name="panel-export"),
]
