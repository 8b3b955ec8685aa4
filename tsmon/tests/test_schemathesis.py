"""Schemathesis: requests generated from the OpenAPI schema, sent to the app in-process.

For every operation in /api/schema/, Schemathesis sends boundary and
invalid values of each parameter and body field, then requests drawn at
random from the schema, through Django's WSGI application with an admin
key, so writes and deletes run too. Every answer must be no 5xx and must
match the schema: a documented status code and content type, and a body
valid against its schema. And the schema must say what the API accepts:
a request the schema allows is not refused (positive_data_acceptance), and
one it forbids is (negative_data_rejection).

Some rules cannot be said in JSON Schema (start before end, a selector
PostgreSQL compiles, a line-protocol body's grammar, one field needing
another): the schema's descriptions say them, and BEYOND_THE_SCHEMA lists,
per operation, the parameters and fields whose 400 a schema-valid request
may get, each with its reason. Any other refusal of a valid request fails.

Each operation is one test, on a database of its own (rolled back after)
that holds a little of everything: series with points, a detector with an
anomaly and an event, an alert rule with an alert, a channel, a silence, a
job run and a finished report. Even ids in a generated path are pointed at
these objects, so requests reach real objects as often as missing ones; a
delete in one operation's test leaves the others' data alone.

The requests are the same on every run (derandomized). For a longer run
by hand, set the number of random requests per operation (default 25):

    TSMON_SCHEMATHESIS_EXAMPLES=500 .venv/bin/python -m tsmon.embedded_db run-with -- \\
        .venv/bin/python -m pytest tsmon/tests/test_schemathesis.py
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import AcceptedNegativeData
from schemathesis.core.parameters import ParameterLocation
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from alerts.models import Alert, AlertRule, NotificationChannel, Silence
from analytics.models import Anomaly, AnomalyEvent, Detector, FalsePositive
from core.models import JobRun
from core.scopes import ApiScope
from ingestion.models import ApiKey, Series
from ingestion.writer import write_samples
from reports import jobs as report_jobs
from tsmon.testing import forget_write_caches, make_samples
from web.models import Dashboard, Panel

EXAMPLES = int(os.environ.get("TSMON_SCHEMATHESIS_EXAMPLES", "25"))

# What a schema-valid request may still be refused for (a 400 naming it), by
# operation: rules OpenAPI 3.0's JSON Schema cannot state. "body" is a write's
# body, whose grammar (line protocol, CSV, protobuf, names, timestamps) it cannot.
SELECTOR = {"match": "a selector's grammar, and its regexes, which PostgreSQL compiles"}
RANGE = {
    "start": "start before end, and a date that exists within 1970-2200",
    "end": "a date that exists, within 1970-2200",
}
CURSOR = {"cursor": "an opaque token from a previous page's `next`"}
DURATION = "a duration above 0 and at most 10 years (a number range inside a string)"
BODY = {
    "body": "a body's grammar, its names and timestamps (within retention of now), and the size it "
    "decompresses to (a 413)"
}
SERIES_FILTERS = {**SELECTOR, **RANGE}
BEYOND_THE_SCHEMA: dict[str, dict[str, str]] = {
    "GET /api/v1/series": SELECTOR,
    "GET /api/v1/labels": SELECTOR,
    "GET /api/v1/labels/{name}/values": SELECTOR,
    "GET /api/v1/points": {
        **SERIES_FILTERS,
        "match": f"{SELECTOR['match']}; and one of match and series is required",
        **CURSOR,
        "step": f"{DURATION}; buckets per series and points per answer depend on the range",
    },
    "GET /api/v1/series/{id}/rolling": {
        **RANGE,
        "start": "start before end, at most 31 days and 200,000 points (with the window) before it",
        "window": f"{DURATION}, or a count of 2 to 100,000 points",
    },
    "GET /api/v1/series/{id}/forecast": {
        "horizon": f"{DURATION}, at most 90 days",
        "step": f"{DURATION}, at most 1 day and 5000 steps in the horizon",
        "series": "a fresh forecast needs enough of the series' history",
    },
    "GET /api/v1/anomalies": {**SERIES_FILTERS, **CURSOR},
    "GET /api/v1/anomaly-events": {**SERIES_FILTERS, **CURSOR},
    "GET /api/v1/false-positives": SELECTOR,
    "POST /api/v1/false-positives": {"event": "the id of an existing anomaly event"},
    "GET /api/v1/alerts": CURSOR,
    "GET /api/v1/deliveries": CURSOR,
    "GET /api/v1/reports": {
        **CURSOR,
        "since": RANGE["end"],
        "until": RANGE["end"],
    },
    "GET /api/v1/reports/{id}/csv": {"table": "which tables a report has depends on its kind"},
    "POST /api/v1/write": BODY,
    "POST /api/v1/write/csv": {**BODY, "labels": "label names follow Prometheus' rules"},
    "POST /api/v2/write": BODY,
    "POST /write": BODY,
    "POST /api/v1/prom/write": BODY,
}
RULE_FIELDS = {
    "selector": SELECTOR["match"],
    "threshold": "a threshold, anomaly-and-threshold or forecast rule needs a threshold",
    "summary": "a Django template",
    "annotations": "Django templates, keyed by label names (OpenAPI 3.0 cannot say what keys)",
    "labels": "keyed by label names (OpenAPI 3.0 cannot say what keys)",
    "detector": "the id of an existing detector",
    "channels": "the ids of existing channels",
    "name": "unique among rules",
}
DETECTOR_FIELDS = {
    "selector": SELECTOR["match"],
    "params": "the keyword arguments of the kind's algorithm",
    "name": "unique among detectors",
}
CHANNEL_FIELDS = {
    field: "the kind decides which of url, addresses and secret it needs, takes, and how"
    for field in ("url", "addresses", "secret", "kind")
} | {"name": "unique among channels", "url": "a destination tsmon may reach, https for slack and dingtalk"}
SILENCE_FIELDS = {"matchers": SELECTOR["match"], "ends_at": "after starts_at (default now)"}
for method, path in [("POST", ""), ("PUT", "/{id}"), ("PATCH", "/{id}")]:
    BEYOND_THE_SCHEMA[f"{method} /api/v1/alert-rules{path}"] = RULE_FIELDS
    BEYOND_THE_SCHEMA[f"{method} /api/v1/detectors{path}"] = DETECTOR_FIELDS
    BEYOND_THE_SCHEMA[f"{method} /api/v1/notification-channels{path}"] = CHANNEL_FIELDS
    BEYOND_THE_SCHEMA[f"{method} /api/v1/silences{path}"] = SILENCE_FIELDS
DASHBOARD_FIELDS = {
    "title": "not only spaces",
    "panels": "each panel's selector (as for match), its range (at most 366 days) and step (above 0, at most "
    "the range), and ids of this dashboard's panels, each once",
}
for method, path in [("POST", ""), ("PUT", "/{id}"), ("PATCH", "/{id}")]:
    BEYOND_THE_SCHEMA[f"{method} /api/v1/dashboards{path}"] = DASHBOARD_FIELDS
BEYOND_THE_SCHEMA["POST /api/v1/reports"] = {
    "selector": SELECTOR["match"],
    "period_start": "before period_end (default now), and at most 92 days earlier",
    "params": "each horizon at most 60 days ahead",
}


def refused_names(response) -> set[str]:
    """What a 400 names: its `parameter`, its invalid fields, or "body" for a write's answer."""
    content_type = response.headers.get("content-type", [""])
    content_type = content_type[0] if isinstance(content_type, list) else content_type
    text = response.content.decode("utf-8", "replace")
    if content_type.startswith("text/csv"):  # an `error,parameter` row
        rows = list(csv.reader(io.StringIO(text)))
        return {rows[1][1]} if len(rows) > 1 and rows[0] == ["error", "parameter"] else set()
    if content_type.startswith("text/html"):  # the browsable API's page shows the JSON
        return set(re.findall(r"&quot;parameter&quot;: &quot;(\w+)&quot;", text))
    try:
        body = json.loads(text)
    except ValueError:
        return set()
    if not isinstance(body, dict):
        return set()
    if "parameter" in body:
        return {body["parameter"]}
    if {"errors", "code", "error"} & set(body) or set(body) == {"detail"}:
        return {"body"}
    return set(body)


def positive_data_acceptance_within_the_schema(ctx, response, case):
    """positive_data_acceptance, but for a 400 that names only what BEYOND_THE_SCHEMA
    lists for the operation: a rule the schema cannot state, and says in words."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        beyond = BEYOND_THE_SCHEMA.get(case.operation.label, {})
        names = refused_names(response) if response.status_code in (400, 413) else set()
        if names and names <= set(beyond):
            return None
        raise


# Bodies that are text (or bytes) on the wire: one generated as "not a string" (an
# array, say) arrives as some text all the same, which the body's grammar judges.
# (The only header the schema has, Authorization, is replaced by the admin key.)
TEXT_BODIES = {
    "POST /api/v1/write/csv",
    "POST /api/v2/write",
    "POST /write",
    "POST /api/v1/prom/write",
}


def negative_data_rejection_within_the_schema(ctx, response, case):
    """negative_data_rejection, but for a text body whose only "violation" is its JSON
    type (beside query parameters the API ignores because it does not know them)."""
    try:
        return negative_data_rejection(ctx, response, case)
    except AcceptedNegativeData:
        components = case.meta.components if case.meta is not None else {}
        negative = {location for location, info in components.items() if info.mode.is_negative}
        body_and_header = {ParameterLocation.BODY, ParameterLocation.HEADER}
        text_only = negative <= body_and_header or (
            negative <= {*body_and_header, ParameterLocation.QUERY} and known_query_parameters_are_valid(case)
        )
        if case.operation.label in TEXT_BODIES and text_only:
            return None
        raise


def known_query_parameters_are_valid(case) -> bool:
    """Do the query parameters the operation documents match their schema (unknown ones left out)?"""
    schema = case.operation.get_parameter_set(ParameterLocation.QUERY).schema
    known = {
        name: value for name, value in (case.query or {}).items() if name in schema.get("properties", {})
    }
    return case.operation.schema.adapter.jsonschema_validator_cls(schema).is_valid(known)


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    positive_data_acceptance_within_the_schema,
    negative_data_rejection_within_the_schema,
]

# Not tsmon.wsgi: it freezes the garbage collector, for server workers only.
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@schemathesis.serializer("application/x-protobuf")
def protobuf_body(context, value) -> bytes:
    """Remote write bodies are bytes (`format: binary`); sent as generated."""
    return (
        value.data if hasattr(value, "data") else value if isinstance(value, bytes) else str(value).encode()
    )


@pytest.fixture
def demo(db) -> dict[str, list[int]]:
    """The demo data; its ids by the path segment that names their kind."""
    # The writer caches series ids and partitions; rolled-back tests must not reuse them.
    forget_write_caches()
    now = timezone.now().replace(second=0, microsecond=0)
    return build_demo_data(now)


def build_demo_data(now: dt.datetime) -> dict[str, list[int]]:
    start = now - dt.timedelta(hours=6)
    values = [50.0] * 300 + [97.0] + [50.0] * 59
    for host in ("web-1", "web-2"):
        write_samples(make_samples("cpu_usage_percent", {"host": host}, start, len(values), 60, values))
    series = list(Series.objects.order_by("pk"))
    detector = Detector.objects.create(name="cpu", selector="cpu_usage_percent")
    spike = start + dt.timedelta(minutes=300)
    anomaly = Anomaly.objects.create(
        detector=detector, series=series[0], ts=spike, score=0.97, value=97.0, expected=50.0, lo=45, hi=55
    )
    event = AnomalyEvent.objects.create(
        detector=detector, series=series[0], start=spike, end=spike, peak_score=0.97, peak_ts=spike
    )
    channel = NotificationChannel.objects.create(name="ops", kind="webhook", url="http://127.0.0.1:9/hook")
    rule = AlertRule.objects.create(
        name="HighCPU", kind="threshold", selector="cpu_usage_percent", threshold=90
    )
    rule.channels.set([channel])
    alert = Alert.objects.create(
        rule=rule,
        series=series[0],
        state="firing",
        started_at=spike,
        fired_at=spike,
        labels={"host": "web-1"},
    )
    silence = Silence.objects.create(matchers='{host="web-2"}', ends_at=now + dt.timedelta(hours=1))
    # One event marked, one not: a mark of the first is a 409, of the second made.
    other = AnomalyEvent.objects.create(
        detector=detector, series=series[1], start=spike, end=spike, peak_score=0.9, peak_ts=spike
    )
    mark = FalsePositive.objects.create(series=series[0], start=spike, end=spike, event=event, reason="test")
    run = JobRun.objects.create(job="detect", finished_at=now, outcome="ok")
    report = report_jobs.request_report("anomaly", now, start=start)
    report_jobs.process_pending_reports(now)
    # The admin key's person owns it, so writes to it are made, not refused.
    dashboard = Dashboard.objects.create(owner=get_user_model().objects.create_user("ops"), title="Web")
    Panel.objects.create(dashboard=dashboard, selector="cpu_usage_percent", range="now-6h")
    return {
        "series": [s.pk for s in series],
        "detectors": [detector.pk],
        "anomalies": [anomaly.pk],
        "anomaly-events": [event.pk, other.pk],
        "false-positives": [mark.pk],
        "notification-channels": [channel.pk],
        "alert-rules": [rule.pk],
        "alerts": [alert.pk],
        "silences": [silence.pk],
        "job-runs": [run.pk],
        "reports": [report.pk],
        "dashboards": [dashboard.pk],
    }


@pytest.fixture
def admin_headers(demo):
    _, key = ApiKey.issue(
        "schemathesis", [ApiScope.ADMIN], created_by=get_user_model().objects.get(username="ops")
    )
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def in_process_requests():
    """Keep the test's connection through each request, as Django's test client does:
    the end of a request would otherwise close it, inside the test's transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def with_real_ids(case, demo: dict[str, list[int]]) -> None:
    """Point even whole-number ids at objects of the path's kind in the demo
    data, so requests reach real objects as often as missing ones."""
    generated = str((case.path_parameters or {}).get("id"))
    parts = case.path.split("/")  # /api/v1/<kind>/{id}; /write has no kind
    ids = demo.get(parts[3]) if len(parts) > 3 else None
    if ids and generated.isdigit() and int(generated) % 2 == 0:
        case.path_parameters["id"] = ids[int(generated) // 2 % len(ids)]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    # The demo data is made once per operation and shared by its examples on purpose.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@pytest.mark.django_db
def test_every_answer_is_no_server_error_and_matches_the_schema(
    case, demo, admin_headers, in_process_requests
):
    with_real_ids(case, demo)
    case.call_and_validate(headers=admin_headers, checks=CHECKS)
