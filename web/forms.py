"""The forms of the dashboard pages. A panel is checked by the model's own
rules (Panel.clean, web.panel_checks), the API's too, with the same messages."""

from __future__ import annotations

from django import forms

from web.models import Dashboard, Panel


class DashboardForm(forms.ModelForm):
    class Meta:
        model = Dashboard
        fields = ["title"]
        widgets = {"title": forms.TextInput(attrs={"size": 40, "autofocus": True})}


class PanelForm(forms.ModelForm):
    class Meta:
        model = Panel
        fields = ["title", "selector", "aggregation", "step", "range"]
        widgets = {
            "selector": forms.TextInput(attrs={"class": "mono", "size": 60}),
            "step": forms.TextInput(attrs={"size": 8, "placeholder": "auto"}),
            "range": forms.TextInput(attrs={"size": 10, "placeholder": "now-24h"}),
        }
        help_texts = {"title": "empty: the selector"}
