"""Reports built once from the demo data, shared by the tests that read them.

Loading the demo data (5 hosts, 14 days at 1 minute) and running detection
take a few seconds; doing it once per module keeps the suite short. Only a
few series are watched: those with injected anomalies and their peers'
CPU, which is what the anomaly report is checked against.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection

from analytics.jobs import run_detectors
from analytics.models import Alert, AlertRule, Detector, JobRun
from ingestion.jobs import load_demo_data
from ingestion.models import Series, Source
from reports import jobs
from reports.models import Report

END = dt.datetime(2026, 11, 16, 6, 0, tzinfo=dt.UTC)
NOW = END + dt.timedelta(minutes=1)
WATCHED = {
    "cpu": 'cpu_usage_percent{host=~"web-1|web-3"}',
    "latency": 'http_request_latency_seconds{host="web-2"}',
    "network": 'network_receive_bytes_per_second{host="web-4"}',
}


def make_demo_reports() -> dict:
    demo = load_demo_data(END, 42)
    Detector.objects.update(enabled=False)
    detectors = [Detector.objects.create(name=f"reports-{k}", selector=v) for k, v in WATCHED.items()]
    run_detectors(NOW, detector_ids=[d.pk for d in detectors])
    _fired_alert()
    requested = {
        "capacity": jobs.request_report("capacity", NOW, params={"days": 14}),
        "anomaly": jobs.request_report("anomaly", NOW),
        "forecast": jobs.request_report("forecast", NOW, selector='disk_used_percent{host="db-1"}'),
    }
    jobs.process_pending_reports(NOW)
    return {"demo": demo, **{k: Report.objects.get(pk=r.pk) for k, r in requested.items()}}


def _fired_alert() -> None:
    rule = AlertRule.objects.create(
        name="HighCPU", kind="threshold", selector="cpu_usage_percent", threshold=90
    )
    series = Series.objects.get(key='cpu_usage_percent{host="web-1"}')
    fired = dt.datetime(2026, 11, 11, 14, 2, tzinfo=dt.UTC)
    Alert.objects.create(
        rule=rule, series=series, state="resolved", started_at=fired - dt.timedelta(minutes=1),
        fired_at=fired, resolved_at=fired + dt.timedelta(minutes=9), labels={},
    )  # fmt: skip


def remove_demo_reports() -> None:
    Report.objects.all().delete()
    AlertRule.objects.all().delete()
    Detector.objects.filter(name__startswith="reports-").delete()
    Detector.objects.update(enabled=True)
    JobRun.objects.all().delete()
    Series.objects.all().delete()
    Source.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE ingestion_point")
