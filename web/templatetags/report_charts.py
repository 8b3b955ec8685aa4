"""Template tags of a report's page (web/templates/reports/report.html): its
charts, drawn by the pages' renderer, and that renderer's stylesheet inlined.

A report's page is stored, e-mailed and printed: it fetches nothing, so the
chart stylesheet the site links (web/static/tsmon/chart.css) is copied into
the page as it is rendered, from that one file.
"""

from __future__ import annotations

from pathlib import Path

from django import template
from django.utils.safestring import mark_safe

from web.report_charts import event_figure, forecast_figure

register = template.Library()

CHART_CSS = Path(__file__).resolve().parent.parent / "static" / "tsmon" / "chart.css"


@register.simple_tag
def chart_css():
    """The charts' stylesheet, for a `<style>` element."""
    # A file of tsmon's own, not user input; read each time (a few kB), so it never goes stale.
    return mark_safe(CHART_CSS.read_text(encoding="utf-8"))


@register.simple_tag
def forecast_chart(section):
    """One forecast section's figure: history, forecast and its bands, the limit and when it is reached."""
    return mark_safe(forecast_figure(section))  # web.charts escapes every text


@register.simple_tag
def event_chart(event):
    """One anomaly event's figure in context."""
    return mark_safe(event_figure(event))
