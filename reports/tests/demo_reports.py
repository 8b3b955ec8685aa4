"""Reports built once from the demo data, shared by the tests that read them.

The set-up is what `make run` gives a new user: the demo data (5 hosts, 14
days at 1 minute), the default detector over every series, the demo's peer
detector and alert rules, then one round of detection, forecasts and alerting. It takes
a minute or two; doing it once per module keeps the suite short.
"""

from __future__ import annotations

import datetime as dt

from alerts.jobs import evaluate_alert_rules
from alerts.models import Alert, AlertRule
from analytics.jobs import run_detectors, run_forecasts, run_peer_detectors
from analytics.models import Detector
from core.models import JobRun
from demo.configuration import create_demo_alert_rules, create_demo_detectors
from demo.loading import load_demo_data
from ingestion.models import Series, Source
from ingestion.series_deletion import delete_series
from reports import jobs
from reports.models import Report

END = dt.datetime(2026, 11, 16, 6, 0, tzinfo=dt.UTC)
NOW = END + dt.timedelta(minutes=1)


def make_demo_reports() -> dict:
    demo = load_demo_data(END, 42)
    peer_detectors = create_demo_detectors()
    create_demo_alert_rules()
    # A detector of the default's kind over every demo series, made here: the test then
    # does not depend on what else the database's default detector may have been set to.
    Detector.objects.exclude(pk__in=[d.pk for d in peer_detectors]).update(enabled=False)
    watching = Detector.objects.create(name="reports-demo", selector='{host=~".+"}')
    run_detectors(NOW, detector_ids=[watching.pk])
    run_peer_detectors(NOW)
    run_forecasts(NOW)  # the forecast alert rule reads the stored forecasts
    evaluate_alert_rules(NOW)
    _fired_alert()
    requested = {
        "capacity": jobs.request_report("capacity", NOW, params={"days": 14}),
        "anomaly": jobs.request_report("anomaly", NOW),
        "forecast": jobs.request_report("forecast", NOW),
    }
    jobs.process_pending_reports(NOW)
    made = {k: Report.objects.get(pk=r.pk) for k, r in requested.items()}
    return {"demo": demo, "peer_detectors": [*peer_detectors, watching], **made}


def _fired_alert() -> None:
    """An alert that fired and resolved inside the period (the demo's own rules fire at its end)."""
    rule = AlertRule.objects.create(
        name="HighCPU", kind="threshold", selector="cpu_usage_percent", threshold=90
    )
    series = Series.objects.get(key='cpu_usage_percent{host="web-1"}')
    fired = dt.datetime(2026, 11, 11, 14, 2, tzinfo=dt.UTC)
    Alert.objects.create(
        rule=rule, series=series, state="resolved", started_at=fired - dt.timedelta(minutes=1),
        fired_at=fired, resolved_at=fired + dt.timedelta(minutes=9), labels={},
    )  # fmt: skip


def remove_demo_reports(made: dict) -> None:
    Report.objects.all().delete()
    AlertRule.objects.all().delete()
    Detector.objects.filter(pk__in=[d.pk for d in made["peer_detectors"]]).delete()
    Detector.objects.update(enabled=True)
    JobRun.objects.all().delete()
    delete_series(Series.objects.values_list("pk", flat=True))
    Source.objects.all().delete()
