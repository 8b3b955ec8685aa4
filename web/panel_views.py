"""One panel as a page shows it: its window in the view, its data, its chart and its links."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe

from core.time_range import TimeRangeError
from web.models import Panel
from web.panel_charts import panel_chart
from web.panel_data import PanelData, load_panel
from web.panel_ranges import DEFAULT_RANGE, ViewRange, parse_panel_range

EXPORT_FORMATS = ("svg", "png", "csv")


@dataclass
class PanelView:
    panel: Panel
    data: PanelData
    chart: SafeString
    permalink: str  # the panel's page with this window fixed
    exports: dict[str, str]  # format -> its download, of this window


def panel_window(panel: Panel, view: ViewRange, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of `panel` in `view`: the view's span, else the panel's own range."""
    try:
        span = parse_panel_range(panel.range)
    except TimeRangeError:  # a range the admin stored past the checks
        span = parse_panel_range(DEFAULT_RANGE)
    return view.window(span, now)


def panel_view(panel: Panel, view: ViewRange, now: dt.datetime, tz: str) -> PanelView:
    data = load_panel(panel, *panel_window(panel, view, now))
    pinned = urlencode(view.pinned(now))
    ids = [panel.dashboard_id, panel.pk]
    return PanelView(
        panel=panel,
        data=data,
        chart=mark_safe(panel_chart(data, tz, now)),  # web.charts escapes every text
        permalink=f"{reverse('panel-detail', args=ids)}?{pinned}",
        exports={name: f"{reverse('panel-export', args=[*ids, name])}?{pinned}" for name in EXPORT_FORMATS},
    )
