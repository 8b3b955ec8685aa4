"""Every model in the admin: its list shows a stored object, whose page opens, and its add page opens.

One object of each kind is stored first, so each list renders real rows
(their columns, links and computed fields), not the empty list.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from alerts.models import Alert, AlertRule, Delivery, Notification, NotificationChannel, Silence
from analytics.models import Anomaly, AnomalyEvent, Detector, FalsePositive, Forecast
from core.models import JobRun
from ingestion import writer
from ingestion.models import ApiKey, ScrapeTarget, Series, Source
from reports import jobs as report_jobs
from reports.models import ReportSchedule
from tsmon.testing import forget_write_caches, make_samples
from web.models import Dashboard, Panel

pytestmark = pytest.mark.django_db

MODELS = sorted(admin.site._registry, key=lambda model: model._meta.label)


@pytest.fixture
def one_of_each(db, admin_user):
    forget_write_caches()
    now = timezone.now().replace(second=0, microsecond=0)
    source = Source.objects.create(name="web-1")
    writer.write_samples(
        make_samples("cpu_usage_percent", {"host": "web-1"}, now - dt.timedelta(hours=2), 120, 60)
    )
    series = Series.objects.get()
    detector = Detector.objects.create(name="cpu", selector="cpu_usage_percent")
    Anomaly.objects.create(
        detector=detector, series=series, ts=now, score=0.9, value=97, expected=50, lo=45, hi=55
    )
    event = AnomalyEvent.objects.create(
        detector=detector, series=series, start=now, end=now, peak_score=0.9, peak_ts=now
    )
    FalsePositive.objects.create(series=series, start=now, end=now, event=event, reason="a load test")
    Forecast.objects.create(
        series=series,
        model="regression",
        step_seconds=3600,
        trained_from=now - dt.timedelta(days=1),
        trained_to=now,
    )
    JobRun.objects.create(job="detect", finished_at=now, outcome="ok")
    channel = NotificationChannel.objects.create(
        name="ops", kind="webhook", url="https://hooks.example.com/x"
    )
    rule = AlertRule.objects.create(
        name="HighCPU", kind="threshold", selector="cpu_usage_percent", threshold=90
    )
    Alert.objects.create(rule=rule, series=series, state="firing", started_at=now, labels={"host": "web-1"})
    Silence.objects.create(matchers='{host="web-1"}', ends_at=now + dt.timedelta(hours=1))
    notification = Notification.objects.create(
        channel=channel,
        rule=rule,
        status="firing",
        group_key="{}",
        payload={},
        created_at=now,
        next_attempt_at=now,
    )
    Delivery.objects.create(
        notification=notification,
        channel=channel,
        attempted_at=now,
        duration_ms=12.5,
        outcome="ok",
        http_status=200,
    )
    ApiKey.issue("agent", ["write"], source=source)
    ScrapeTarget.objects.create(name="node", url="https://node.example.com/metrics")
    ReportSchedule.objects.create(name="weekly", kind="anomaly")
    report_jobs.request_report("anomaly", now)
    Group.objects.create(name="on-call")
    dashboard = Dashboard.objects.create(owner=admin_user, title="Web hosts")
    Panel.objects.create(dashboard=dashboard, selector='cpu_usage_percent{host=~"web-.*"}')


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_the_admin_lists_a_stored_object_of_each_model_and_opens_it(admin_client, one_of_each, model):
    name = f"admin:{model._meta.app_label}_{model._meta.model_name}"

    listing = admin_client.get(reverse(f"{name}_changelist"))

    assert listing.status_code == 200
    assert listing.context["cl"].result_count >= 1
    shown = listing.context["cl"].result_list[0]
    assert admin_client.get(reverse(f"{name}_change", args=[shown.pk])).status_code == 200
    if admin.site._registry[model].has_add_permission(listing.wsgi_request):
        assert admin_client.get(reverse(f"{name}_add")).status_code == 200
