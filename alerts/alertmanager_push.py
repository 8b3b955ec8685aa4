"""The alerts tsmon pushes to an Alertmanager, in the shape Prometheus pushes them.

`POST /api/v2/alerts` takes a list of {labels, annotations, startsAt,
endsAt, generatorURL}. A firing alert gets an endsAt a few resend intervals
ahead (Prometheus: 4 x its resend delay), so Alertmanager keeps it firing
while tsmon re-sends it and ends it by itself if tsmon goes silent; a
resolved one gets its resolve time. Grouping, repeats and routing are
Alertmanager's job, so one push holds the rule's due alerts, ungrouped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from urllib.parse import urlsplit, urlunsplit

from alerts import messages as alert_messages
from alerts.choices import AlertState
from alerts.models import Alert, AlertRule

# Prometheus sets endsAt this many resend intervals ahead.
ENDS_AT_RESENDS = 4
API_PATH = "/api/v2/alerts"


def push_payload(rule: AlertRule, alerts: Sequence[Alert], now: dt.datetime, resend_seconds: int) -> dict:
    """The body of one push, as stored in the notification: `{"alerts": [...]}`."""
    ends_at = now + dt.timedelta(seconds=ENDS_AT_RESENDS * resend_seconds)
    return {"alerts": [pushed_alert(rule, alert, ends_at) for alert in alerts]}


def pushed_alert(rule: AlertRule, alert: Alert, firing_ends_at: dt.datetime) -> dict:
    """One alert as Alertmanager's API takes it."""
    resolved = alert.state in (AlertState.RESOLVED, AlertState.INACTIVE)
    return {
        "labels": pushed_labels(alert),
        "annotations": alert_messages.annotations(rule, alert),
        "startsAt": alert_messages.rfc3339(alert.fired_at or alert.started_at),
        "endsAt": alert_messages.rfc3339(alert.resolved_at if resolved else firing_ends_at),
        "generatorURL": alert_messages.series_url(alert.series_id),
    }


def pushed_labels(alert: Alert) -> dict[str, str]:
    """What Alertmanager routes, groups and silences on: alertname (the rule's
    name), severity, the rule's labels, the series' labels, and
    `tsmon_metric` (the series' metric: Alertmanager takes no `__name__`) and
    `tsmon_series` (its key, so each tsmon alert is one Alertmanager alert).
    Empty values are left out: Alertmanager treats them as no label."""
    labels = {k: v for k, v in alert.labels.items() if not k.startswith("__") and v != ""}
    return {**labels, "tsmon_metric": alert.series.metric, "tsmon_series": alert.series.key}


def alerts_api_url(base_url: str) -> str:
    """Alertmanager's `/api/v2/alerts` under the URL a channel names (its
    root, a path prefix such as `/alertmanager`, or the API URL itself)."""
    parts = urlsplit(base_url)
    path = parts.path.rstrip("/")
    if not path.endswith(API_PATH):
        path += API_PATH
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))
