"""tsmon watching itself: its health as series of its own, and rules on them.

`watch_tsmon` (a periodic job, every minute) writes the figures of
monitoring.queries as points of series named `tsmon_*` from the
source "tsmon", makes sure the built-in rules exist, and closes the job
runs whose process died mid-run. The rules are
ordinary alert rules: they fire, notify the channels you attach to them,
and resolve like any other. Disable one to switch it off (a deleted one
comes back at the next run); edit its threshold as you like.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from alerts.choices import Operator, RuleKind, Severity
from alerts.models import AlertRule
from core.job_runs import close_abandoned_runs
from core.schedule import default_jobs
from core.scheduler import PeriodicJob
from ingestion.ingest import to_us
from ingestion.models import Source
from ingestion.own_series import SOURCE_NAME
from ingestion.samples import Sample, canonical_labels
from ingestion.writer import write_samples
from monitoring import queries

# Rules look at the latest point of the last 5 minutes: one missed run of
# the watcher does not resolve an alert.
RULE_WINDOW_SECONDS = 300
DETECTION_LAG_LIMIT_SECONDS = 15 * 60  # three runs of the slowest detection job (peer groups, 5 min)
INGEST_IDLE_LIMIT_SECONDS = 10 * 60
JOB_RULE_FOR_SECONDS = 10 * 60

SELF_ALERT_RULES = [
    {
        "name": "tsmon: a periodic job is not succeeding",
        "kind": RuleKind.THRESHOLD,
        "selector": "tsmon_job_intervals_since_success",
        "operator": Operator.GT,
        "threshold": queries.OVERDUE_INTERVALS,
        # In-process, one long job (the first detection pass over a fresh
        # install's history) holds up the others for minutes: not a failure.
        "for_seconds": JOB_RULE_FOR_SECONDS,
        "severity": Severity.CRITICAL,
        "summary": "job {{ labels.job }} has not succeeded for {{ value }} of its intervals",
    },
    {
        "name": "tsmon: detection is falling behind",
        "kind": RuleKind.THRESHOLD,
        "selector": "tsmon_detection_lag_seconds",
        "operator": Operator.GT,
        "threshold": DETECTION_LAG_LIMIT_SECONDS,
        "severity": Severity.WARNING,
        "summary": "detector {{ labels.detector }} is {{ value }} s behind the newest points",
    },
    {
        "name": "tsmon: no points are arriving",
        "kind": RuleKind.THRESHOLD,
        "selector": "tsmon_ingest_idle_seconds",
        "operator": Operator.GT,
        "threshold": INGEST_IDLE_LIMIT_SECONDS,
        "severity": Severity.CRITICAL,
        "summary": "no new points for {{ value }} s",
    },
    {
        "name": "tsmon: self-monitoring has stopped",
        "kind": RuleKind.NO_DATA,
        "selector": "tsmon_up",
        "severity": Severity.WARNING,
        "summary": "tsmon's watch_tsmon job has written nothing for {{ rule.window_seconds }} s",
    },
]


def watch_tsmon(now: dt.datetime, jobs: Sequence[PeriodicJob] | None = None) -> dict:
    """Write tsmon's health at `now` (that of `jobs` among it, by default every
    periodic job) as points, and make sure its rules exist."""
    samples = health_samples(now, default_jobs() if jobs is None else jobs)
    source, _ = Source.objects.get_or_create(name=SOURCE_NAME)
    result = write_samples(samples, source=source)
    return {
        "points": result.written,
        "rules_created": len(ensure_self_alert_rules()),
        "abandoned_runs_closed": close_abandoned_runs(),
    }


def health_samples(now: dt.datetime, jobs: Sequence[PeriodicJob]) -> list[Sample]:
    """tsmon's health figures at `now`, one sample each."""
    figures = [("tsmon_up", {}, 1.0), ("tsmon_series", {}, float(queries.series_count()))]
    for job in queries.job_health(now, jobs):
        if job.intervals_since_success is not None:
            figures.append(
                ("tsmon_job_intervals_since_success", {"job": job.job}, job.intervals_since_success)
            )
    for lag in queries.detection_lags():
        labels = {"detector": lag.detector, "kind": lag.kind}
        figures.append(("tsmon_detection_lag_seconds", labels, lag.lag_seconds))
    newest = queries.newest_point_at()
    if newest is not None:  # no series yet: nothing has stopped
        idle = max((now - newest).total_seconds(), 0.0)
        figures.append(("tsmon_ingest_idle_seconds", {}, idle))
    ts_us = to_us(now)
    return [
        Sample(metric, canonical_labels(labels), ts_us, float(value), line)
        for line, (metric, labels, value) in enumerate(figures, start=1)
    ]


def ensure_self_alert_rules() -> list[AlertRule]:
    """Create the built-in rules that do not exist; return the ones that were missing."""
    names = [rule["name"] for rule in SELF_ALERT_RULES]
    existing = set(AlertRule.objects.filter(name__in=names).values_list("name", flat=True))
    missing = [
        AlertRule(window_seconds=RULE_WINDOW_SECONDS, **fields)
        for fields in SELF_ALERT_RULES
        if fields["name"] not in existing
    ]
    # A second watcher creating the same rule at the same time loses quietly.
    return AlertRule.objects.bulk_create(missing, ignore_conflicts=True)
