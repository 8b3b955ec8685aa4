"""What the pages show by default as incidents: anomaly events scoring at
least `DEFAULT_MIN_SCORE`, on series that are not tsmon's own.

tsmon's own series (`tsmon_*`, source "tsmon", written by the watch_tsmon
job) and those of the agent `make run` starts on tsmon's host (written with
its "local agent" key) describe tsmon and the machine it runs on, not what
it watches: within an hour of a first start they fill the first page of
events (an `uptime_seconds` at score 1.00 for 45 minutes), burying the
incidents someone came for. They are hidden unless asked for.
"""

from __future__ import annotations

from django.db.models import QuerySet

from ingestion.own_series import own_series

# Lower peaks are mostly the noise a detector's 0.5 storage floor lets in
# (a 2-minute wobble at 0.58); the demo's injected anomalies all peak near 1.
DEFAULT_MIN_SCORE = 0.7


def without_own_series(events: QuerySet) -> QuerySet:
    """Anomaly events (or anything with a `series`) not on tsmon's own or its agent's series."""
    return events.exclude(own_series("series__"))


def recent(events: QuerySet, limit: int) -> QuerySet:
    """The newest incidents among `events`: the overview's list."""
    incidents = without_own_series(events.filter(peak_score__gte=DEFAULT_MIN_SCORE))
    return incidents.select_related("series", "detector").order_by("-start", "-id")[:limit]
