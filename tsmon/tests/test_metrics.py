"""`/metrics`: the exposition parses, the write counters add up, and who may read it."""

import datetime as dt
import json

import pytest
from django.contrib.auth import get_user_model
from django.db import OperationalError
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from analytics.models import Detector
from ingestion.models import ApiKey
from tsmon.tests.metrics_helpers import families, forget_caches, reader, scrape, value

pytestmark = pytest.mark.django_db

FAMILIES = {
    "tsmon_points_accepted",
    "tsmon_points_rejected",
    "tsmon_write_requests",
    "tsmon_write_request_duration_seconds",
    "tsmon_database_up",
    "tsmon_series",
    "tsmon_job_interval_seconds",
    "tsmon_job_last_success_timestamp_seconds",
    "tsmon_job_consecutive_failures",
    "tsmon_jobs_overdue",
    "tsmon_detection_lag_seconds",
    "tsmon_notification_deliveries",
    "tsmon_notifications_pending",
    "tsmon_notification_channels_disabled",
}


@pytest.fixture(autouse=True)
def _fresh_caches():
    forget_caches()


def key_client(scopes) -> APIClient:
    _, key = ApiKey.issue("k", scopes)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def write_json(rows) -> int:
    response = key_client(["write"]).post("/api/v1/write", json.dumps(rows), content_type="application/json")
    return response.status_code


def rows(n_points, metric="cpu_used_percent", host="web-1"):
    t0 = int((timezone.now() - dt.timedelta(hours=1)).timestamp())
    return [
        {"metric": metric, "labels": {"host": host}, "ts": t0 + 60 * i, "value": float(i)}
        for i in range(n_points)
    ]


def deltas(before: dict, after: dict) -> dict:
    names = ("tsmon_points_accepted_total", "tsmon_points_rejected_total")
    return {
        k: after[k] - before.get(k, 0.0) for k in after if k[0] in names and after[k] != before.get(k, 0.0)
    }


def test_the_text_parses_and_holds_every_family():
    response = reader().get("/metrics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    assert FAMILIES <= set(families(response.content.decode()))


def test_openmetrics_is_served_to_a_scraper_that_asks_for_it():
    response = reader().get("/metrics", HTTP_ACCEPT="application/openmetrics-text;version=1.0.0,*/*;q=0.1")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/openmetrics-text")
    assert response.content.decode().endswith("# EOF\n")


def test_a_write_counts_its_accepted_and_rejected_points_by_reason():
    good = rows(7)
    unparseable = [{"metric": "cpu_used_percent", "labels": {"host": "web-1"}, "ts": 1}]  # no value
    invalid = [{**good[0], "metric": "9cpu"}, {**good[1], "metric": "9cpu"}]
    before = scrape()

    assert write_json(good + unparseable + invalid) == 400  # a partial write

    assert deltas(before, scrape()) == {
        ("tsmon_points_accepted_total", ()): 7,
        ("tsmon_points_rejected_total", (("reason", "parse"),)): 1,
        ("tsmon_points_rejected_total", (("reason", "validation"),)): 2,
    }


def test_a_resent_batch_is_accepted_again():
    write_json(rows(5))
    before = scrape()

    assert write_json(rows(5)) == 200

    assert deltas(before, scrape()) == {("tsmon_points_accepted_total", ()): 5}


def test_points_over_the_request_limit_are_counted_as_too_large(settings):
    settings.TSMON_MAX_POINTS_PER_REQUEST = 3
    before = scrape()

    assert write_json(rows(4)) == 413

    assert deltas(before, scrape()) == {("tsmon_points_rejected_total", (("reason", "too_large"),)): 4}


def test_points_of_series_past_their_source_limit_are_counted_as_series_limit(settings):
    settings.TSMON_MAX_SERIES_PER_SOURCE = 1
    write_json(rows(1, host="db-1"))
    before = scrape()

    # db-1 already has its one series: the new one is refused, the old one written.
    assert write_json(rows(2, host="db-1") + rows(3, metric="load1", host="db-1")) == 400

    assert deltas(before, scrape()) == {
        ("tsmon_points_accepted_total", ()): 2,
        ("tsmon_points_rejected_total", (("reason", "series_limit"),)): 3,
    }


def test_points_the_database_failed_to_store_are_counted_as_db_unavailable(monkeypatch):
    def database_down(samples, source=None, key=None, lazy_spans=False):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("ingestion.ingest.write_samples", database_down)
    before = scrape()

    assert write_json(rows(6)) == 503

    assert deltas(before, scrape()) == {("tsmon_points_rejected_total", (("reason", "db_unavailable"),)): 6}


def test_every_answer_of_a_write_endpoint_is_counted_and_timed():
    before = scrape()

    write_json(rows(2))
    APIClient().post("/api/v2/write?bucket=b", "m v=1", content_type="text/plain")  # no key

    after = scrape()
    for path, status in (("/api/v1/write", "200"), ("/api/v2/write", "401")):
        name, labels = "tsmon_write_requests_total", {"path": path, "status": status}
        assert value(after, name, **labels) - (value(before, name, **labels) or 0) == 1
    timed = "tsmon_write_request_duration_seconds_count"
    assert value(after, timed, path="/api/v1/write") - (value(before, timed, path="/api/v1/write") or 0) == 1


def test_the_database_figures_are_there_with_the_database_up():
    write_json(rows(3))
    write_json(rows(3, host="web-2"))

    samples = scrape()

    assert value(samples, "tsmon_database_up") == 1
    assert value(samples, "tsmon_series") == 2
    assert value(samples, "tsmon_job_interval_seconds", job="detect") == 60


def test_a_scrape_reads_the_database_once_with_one_query_per_figure(settings, django_assert_num_queries):
    settings.TSMON_METRICS_PUBLIC = True  # no key lookup
    assert Detector.objects.count() == 1  # the default one: one lag query

    # series, newest point, heartbeats, detectors, lag, deliveries, queue, disabled channels
    with django_assert_num_queries(8):
        assert APIClient().get("/metrics").status_code == 200


# -- who may read it ------------------------------------------------------------


def test_without_a_key_it_is_401():
    assert APIClient().get("/metrics").status_code == 401


def test_an_unknown_key_is_401():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-key")
    assert client.get("/metrics").status_code == 401


@pytest.mark.parametrize(("scopes", "status"), [(["write"], 403), (["read"], 200), (["admin"], 200)])
def test_a_key_needs_the_read_scope(scopes, status):
    assert key_client(scopes).get("/metrics").status_code == status


def test_a_logged_in_person_may_read_it():
    client = APIClient()
    client.force_login(get_user_model().objects.create_user("ann", password="x"))
    assert client.get("/metrics").status_code == 200


def test_with_metrics_public_anyone_may_read_it_even_with_a_stale_key(settings):
    settings.TSMON_METRICS_PUBLIC = True
    stale = APIClient()
    stale.credentials(HTTP_AUTHORIZATION="Bearer revoked-long-ago")

    assert APIClient().get("/metrics").status_code == 200
    assert stale.get("/metrics").status_code == 200


def test_it_is_not_part_of_the_api_schema():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert "/metrics" not in schema["paths"]
