"""Report requests within the queue's limits: per requester and in all, API and pages."""

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from ingestion.models import ApiKey
from reports.choices import ReportStatus
from reports.models import Report

pytestmark = pytest.mark.django_db


def admin_client(name: str) -> APIClient:
    return APIClient(HTTP_AUTHORIZATION=f"Bearer {ApiKey.issue(name, ['admin'])[1]}")


def request_anomaly_report(client):
    return client.post("/api/v1/reports", {"kind": "anomaly"}, format="json")


def test_a_requester_with_as_many_unfinished_reports_as_allowed_gets_429_until_one_finishes(settings):
    settings.TSMON_MAX_QUEUED_REPORTS_PER_REQUESTER = 2
    ops, other = admin_client("ops"), admin_client("other")

    first, second, refused = (request_anomaly_report(ops) for _ in range(3))
    by_other = request_anomaly_report(other)
    Report.objects.filter(pk=first.data["id"]).update(status=ReportStatus.DONE)
    after_one_finished = request_anomaly_report(ops)

    assert [first.status_code, second.status_code, by_other.status_code] == [202, 202, 202]
    assert refused.status_code == 429 and refused["Retry-After"] == "60"
    assert "key:ops has 2 report(s) pending or running" in refused.data["detail"]
    assert "TSMON_MAX_QUEUED_REPORTS_PER_REQUESTER=2" in refused.data["detail"]
    assert after_one_finished.status_code == 202
    assert Report.objects.filter(requested_by="key:ops").count() == 3


def test_no_one_may_queue_a_report_beyond_the_overall_limit(settings):
    settings.TSMON_MAX_QUEUED_REPORTS = 2

    first, second, refused = (request_anomaly_report(admin_client(f"k{i}")) for i in range(3))

    assert [first.status_code, second.status_code, refused.status_code] == [202, 202, 429]
    assert "TSMON_MAX_QUEUED_REPORTS=2" in refused.data["detail"] and refused["Retry-After"] == "60"
    assert Report.objects.count() == 2


def test_the_request_form_says_why_it_refuses_and_stores_nothing(client, settings):
    settings.TSMON_MAX_QUEUED_REPORTS_PER_REQUESTER = 1
    client.force_login(User.objects.create_superuser("ops", password="x"))

    client.post("/reports/request", {"kind": "anomaly"})
    refused = client.post("/reports/request", {"kind": "anomaly"}, follow=True)

    assert Report.objects.filter(requested_by="ops").count() == 1
    assert "ops has 1 report(s) pending or running" in refused.content.decode()
