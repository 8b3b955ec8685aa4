"""A panel on the page: its series as lines of one web.charts chart (peers on one chart)."""

from __future__ import annotations

import datetime as dt

import numpy as np

from web.charts import render_chart
from web.charts_data import ChartData, Line
from web.panel_data import PanelData

_EMPTY = np.array([], dtype=np.float64)


def panel_chart_data(data: PanelData, tz: str, now: dt.datetime) -> ChartData:
    return ChartData(
        start=data.start,
        end=data.end,
        ts=_EMPTY,
        value=_EMPTY,
        lines=[Line(s.ts, s.value, s.label) for s in data.series],
        step_seconds=data.step.total_seconds(),
        now=now if data.start < now < data.end else None,
        unit=data.unit,
        title=str(data.panel),
        tz=tz,
    )


def panel_chart(data: PanelData, tz: str, now: dt.datetime) -> str:
    """The chart's HTML (escaped by web.charts)."""
    return render_chart(panel_chart_data(data, tz, now))
