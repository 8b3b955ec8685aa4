"""Counters of the write paths, kept by the process that handles each write.

Only prometheus_client is imported here (no Django), so any process can
count: gunicorn workers, the scheduler's scrapes, Celery workers, a CSV
load. With `PROMETHEUS_MULTIPROC_DIR` set (see monitoring), the
values go to that folder and `/metrics` adds up every process's share.

What the point counters count, per request (or scrape, or CSV chunk):

- accepted: points stored, re-sent ones included (a retry is accepted,
  stored once);
- rejected, by reason: `parse` (a line that could not be read counts as
  one point), `validation` (every point of a line refused by the rules),
  `series_limit` (points of new series past their source's limit),
  `too_large` (every point of a request over TSMON_MAX_POINTS_PER_REQUEST)
  and `db_unavailable` (every point of a request the database failed).
  A body refused before it is parsed (over TSMON_MAX_BODY_BYTES, not
  UTF-8, a bad key) has no point count: it shows in
  tsmon_write_requests_total with its status.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

REJECTION_REASONS = ("parse", "validation", "series_limit", "too_large", "db_unavailable")

# The metrics of this process. In multiprocess mode `/metrics` reads the
# shared folder instead of this registry (it would hold one process's share).
PROCESS_REGISTRY = CollectorRegistry(auto_describe=True)

POINTS_ACCEPTED = Counter(
    "tsmon_points_accepted",
    "Points accepted by the write paths (HTTP writes, scrapes, CSV loads), re-sent ones included.",
    registry=PROCESS_REGISTRY,
)
POINTS_REJECTED = Counter(
    "tsmon_points_rejected",
    "Points refused by the write paths, by reason; a line that could not be parsed counts as one.",
    ["reason"],
    registry=PROCESS_REGISTRY,
)
WRITE_REQUESTS = Counter(
    "tsmon_write_requests",
    "Requests to the HTTP write endpoints, by path and status code.",
    ["path", "status"],
    registry=PROCESS_REGISTRY,
)
WRITE_DURATION = Histogram(
    "tsmon_write_request_duration_seconds",
    "Time to answer a request to an HTTP write endpoint: read, parse, validate, store.",
    ["path"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=PROCESS_REGISTRY,
)

for _reason in REJECTION_REASONS:
    POINTS_REJECTED.labels(_reason)  # every reason shows, at 0, from the start


def count_points(accepted: int = 0, **rejected: int) -> None:
    """Count one write's accepted points and its rejected ones by reason.

    `count_points(accepted=98, validation=2)`; the reasons are
    REJECTION_REASONS.
    """
    if accepted:
        POINTS_ACCEPTED.inc(accepted)
    for reason, n_points in rejected.items():
        if reason not in REJECTION_REASONS:
            raise ValueError(f"unknown rejection reason {reason!r}")
        if n_points:
            POINTS_REJECTED.labels(reason).inc(n_points)


def observe_write_request(path: str, status: int, seconds: float) -> None:
    """Count one answered write request and how long it took."""
    WRITE_REQUESTS.labels(path, str(status)).inc()
    WRITE_DURATION.labels(path).observe(seconds)
