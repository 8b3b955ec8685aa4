"""Dashboards: saved pages of panels, each a selector drawn as one chart.

A dashboard belongs to the person who made it: only they change it; every
signed-in person (and every API key with the read scope) reads it.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from ingestion.queries import AGGREGATES
from web.panel_checks import panel_errors
from web.panel_ranges import DEFAULT_RANGE

# ingestion.queries computes these in SQL; a panel may ask for any of them.
AGGREGATION_CHOICES = [(name, name) for name in sorted(AGGREGATES)]


class Dashboard(models.Model):
    """A titled page of panels, owned by one person."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dashboards")
    title = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title

    def is_owned_by(self, person) -> bool:
        """May `person` (a user, maybe anonymous, or None) change this dashboard?"""
        return person is not None and person.is_authenticated and person.pk == self.owner_id


class Panel(models.Model):
    """One chart of a dashboard: the series a selector matches, aggregated per step over a range."""

    dashboard = models.ForeignKey(Dashboard, on_delete=models.CASCADE, related_name="panels")
    position = models.PositiveSmallIntegerField(default=0, help_text="order on the dashboard, first at 0")
    title = models.CharField(max_length=200, blank=True)
    selector = models.TextField(help_text='series selector, e.g. cpu_usage_percent{host=~"web-.*"}')
    aggregation = models.CharField(max_length=16, choices=AGGREGATION_CHOICES, default="mean")
    step = models.CharField(
        max_length=20, blank=True, help_text="bucket length such as 5m or 1h; empty: chosen from the range"
    )
    range = models.CharField(max_length=40, default=DEFAULT_RANGE, help_text="now-24h, now-7d, …")

    class Meta:
        ordering = ["dashboard", "position", "id"]

    def __str__(self) -> str:
        return self.title or self.selector

    def clean(self) -> None:
        """The API's rules (web.panel_checks), for the admin and the pages' forms."""
        errors = panel_errors(self.selector, self.step, self.range)
        if errors:
            raise ValidationError(errors)
        self.selector, self.step, self.range = self.selector.strip(), self.step.strip(), self.range.strip()
