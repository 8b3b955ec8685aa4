"""Report content from loaded data: plain Python and pandas in, a JSON-ready dict out.

No Django here: `reports.inputs` reads the database into the dataclasses of
`input_types`, the modules below decide what each kind of report says
(`forecast`, `capacity`, `anomaly`), and `reports.rendering` draws it. Tests
build reports from hand-made inputs without a database. The outline every
report shares is in `outline`.
"""

from reports.builders.anomaly import MAX_EVENT_CHARTS, MAX_EVENTS, build_anomaly_report, rank_events
from reports.builders.capacity import build_capacity_report
from reports.builders.coverage import describe_coverage, find_gaps
from reports.builders.forecast import DEFAULT_HORIZONS, build_forecast_report
from reports.builders.input_types import (
    AlertInput,
    Coverage,
    EventInput,
    PeerGroupInput,
    ReportRequest,
    SeriesForecastInput,
    SeriesInfo,
)
from reports.builders.outline import default_title
from reports.builders.peers import find_peer_outliers
from reports.builders.words import describe_series, humanize_seconds, parse_horizon

# The tables of each kind of report, first the main one (downloadable as CSV).
TABLES = {
    "forecast": ["forecast", "models"],
    "capacity": ["capacity"],
    "anomaly": ["events", "peer_outliers", "alerts"],
}

__all__ = [
    "DEFAULT_HORIZONS", "MAX_EVENTS", "MAX_EVENT_CHARTS", "TABLES", "AlertInput", "Coverage",
    "EventInput", "PeerGroupInput", "ReportRequest", "SeriesForecastInput", "SeriesInfo", "build_anomaly_report",
    "build_capacity_report", "build_forecast_report", "default_title", "describe_coverage", "describe_series",
    "find_gaps", "find_peer_outliers", "humanize_seconds", "parse_horizon", "rank_events",
]  # fmt: skip
