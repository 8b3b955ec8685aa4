"""The dashboards API: dashboards with their panels (CRUD).

Reading needs the `read` scope; writing the `write` scope, and changing or
deleting a dashboard its owner (web.ownership).
"""

from __future__ import annotations

from rest_framework import viewsets

from core.api_schema import with_error_responses
from core.scopes import ApiScope
from ingestion.auth import HasScope
from web.models import Dashboard
from web.ownership import OwnerChanges, acting_person
from web.serializers import DashboardSerializer


@with_error_responses(DashboardSerializer)
class DashboardViewSet(viewsets.ModelViewSet):
    """Dashboards: pages of panels (selector, aggregation, step, range). Anyone with the read scope
    reads them; with the write scope a person creates them, and only its owner changes or deletes one."""

    serializer_class = DashboardSerializer
    permission_classes = [HasScope, OwnerChanges]
    queryset = Dashboard.objects.select_related("owner").prefetch_related("panels").order_by("title", "id")

    @property
    def required_scope(self) -> str:
        return ApiScope.READ if self.request.method in ("GET", "HEAD", "OPTIONS") else ApiScope.WRITE

    def perform_create(self, serializer):
        serializer.save(owner=acting_person(self.request))
