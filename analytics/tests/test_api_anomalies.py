import datetime as dt

import pytest
from rest_framework.test import APIClient

from analytics.models import Anomaly, AnomalyEvent, Detector
from core.models import JobRun
from ingestion.models import ApiKey, Series

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 20, 0, 0, tzinfo=dt.UTC)
DAY = {"start": "2026-11-20T00:00:00Z", "end": "2026-11-21T00:00:00Z"}


@pytest.fixture
def reader():
    _, key = ApiKey.issue("dash", ["read"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def anomalies():
    detector = Detector.objects.get(name="default")
    rows = []
    for i, host in enumerate(["web-1", "web-2", "db-1"]):
        series = Series.objects.create(metric="cpu", labels={"host": host}, key=f'cpu{{host="{host}"}}')
        for minute in range(10):
            rows.append(
                Anomaly(
                    detector=detector, series=series, ts=T0 + dt.timedelta(hours=i, minutes=minute),
                    score=0.5 + minute / 20, value=90, expected=40, lo=30, hi=50, direction=1,
                )
            )  # fmt: skip
        AnomalyEvent.objects.create(
            detector=detector, series=series, start=T0 + dt.timedelta(hours=i), end=T0 + dt.timedelta(hours=i, minutes=9),
            peak_score=0.95, peak_ts=T0 + dt.timedelta(hours=i, minutes=9), n_points=10, direction=1,
        )  # fmt: skip
    Anomaly.objects.bulk_create(rows)
    return rows


def test_anomalies_come_oldest_first_with_expected_value_band_and_direction(anomalies, reader):
    response = reader.get("/api/v1/anomalies", DAY)

    assert response.status_code == 200
    results = response.data["results"]
    assert len(results) == 30
    assert [r["ts"] for r in results] == sorted(r["ts"] for r in results)
    first = results[0]
    assert first["series_key"] == 'cpu{host="web-1"}' and first["detector"] == "default"
    assert (first["value"], first["expected"], first["lo"], first["hi"], first["direction"]) == (
        90,
        40,
        30,
        50,
        "up",
    )


def test_anomalies_filter_by_selector_score_and_time(anomalies, reader):
    response = reader.get("/api/v1/anomalies", {**DAY, "match": 'cpu{host=~"web-.*"}', "min_score": "0.8"})
    assert {r["series_key"] for r in response.data["results"]} == {'cpu{host="web-1"}', 'cpu{host="web-2"}'}
    assert all(r["score"] >= 0.8 for r in response.data["results"]) and len(response.data["results"]) == 8

    later = reader.get("/api/v1/anomalies", {"start": "2026-11-20T02:00:00Z", "end": "2026-11-21T00:00:00Z"})
    assert {r["series_key"] for r in later.data["results"]} == {'cpu{host="db-1"}'}


def test_anomaly_pages_follow_their_cursor_without_repeats(anomalies, reader):
    seen, url, params = [], "/api/v1/anomalies", {**DAY, "limit": 7}
    while url:
        response = reader.get(url, params)
        seen += [r["id"] for r in response.data["results"]]
        url, params = response.data["next"], None
    assert len(seen) == 30 and len(set(seen)) == 30


def test_the_anomaly_list_costs_the_same_queries_for_any_page_size(
    anomalies, reader, django_assert_num_queries, settings
):
    settings.TSMON_API_KEY_CACHE_SECONDS = 3600  # the key is read once, then remembered
    reader.get("/api/v1/anomalies", DAY)  # the key's first use writes last_used_at
    with django_assert_num_queries(1):  # the page with series and detector joined
        reader.get("/api/v1/anomalies", {**DAY, "limit": 3})
    with django_assert_num_queries(1):
        reader.get("/api/v1/anomalies", {**DAY, "limit": 30})


def test_events_overlapping_the_range_come_newest_first(anomalies, reader):
    response = reader.get(
        "/api/v1/anomaly-events", {"start": "2026-11-20T00:05:00Z", "end": "2026-11-20T02:00:00Z"}
    )

    assert response.status_code == 200
    assert [e["series_key"] for e in response.data["results"]] == ['cpu{host="web-2"}', 'cpu{host="web-1"}']
    assert response.data["results"][0]["duration_seconds"] == 540


@pytest.mark.parametrize(
    ("params", "parameter"),
    [({"min_score": "high"}, "min_score"), ({"min_score": "2"}, "min_score"), ({"kind": "weird"}, "kind"),
     ({"match": "cpu{"}, "match"), ({"start": "soon"}, "start")],
)  # fmt: skip
def test_a_bad_filter_is_a_400_naming_it(anomalies, reader, params, parameter):
    response = reader.get("/api/v1/anomalies", params)

    assert response.status_code == 400 and response.data["parameter"] == parameter


def test_detectors_are_read_with_read_scope_and_changed_with_admin_scope(reader):
    assert [d["name"] for d in reader.get("/api/v1/detectors").data["results"]] == ["default"]
    assert reader.post("/api/v1/detectors", {"name": "x", "selector": "cpu"}).status_code == 403

    _, key = ApiKey.issue("ops", ["admin"])
    admin = APIClient()
    admin.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    created = admin.post(
        "/api/v1/detectors", {"name": "web cpu", "selector": 'cpu{host=~"web-.*"}'}, format="json"
    )
    assert created.status_code == 201 and Detector.objects.filter(name="web cpu").exists()
    bad = admin.post("/api/v1/detectors", {"name": "bad", "selector": "cpu{host"}, format="json")
    assert bad.status_code == 400 and "selector" in bad.data


def test_job_runs_are_listed_newest_first_and_filtered_by_job(reader):
    JobRun.objects.create(job="detect", outcome="ok", n_series=3)
    JobRun.objects.create(job="forecast", outcome="failed", error="boom")

    response = reader.get("/api/v1/job-runs", {"job": "forecast"})

    assert [(r["job"], r["outcome"], r["error"]) for r in response.data["results"]] == [
        ("forecast", "failed", "boom")
    ]


def test_the_fast_anomaly_representation_equals_the_declared_fields(anomalies):
    from rest_framework import serializers

    from analytics.serializers import AnomalySerializer

    anomaly = Anomaly.objects.select_related("series", "detector").first()
    generic = serializers.ModelSerializer.to_representation(AnomalySerializer(), anomaly)

    assert AnomalySerializer(anomaly).data == generic


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"params": None}, "may not be null"),
        ({"params": [1, 2]}, "keyword arguments"),
        ({"params": {"no_such": 1}}, "not a parameter of the streaming detector"),
        ({"kind": "peer_group", "params": {"window": "soon"}}, "window"),
        ({"kind": "peer_group", "params": {"method": "vote"}}, "method must be"),
    ],
)
def test_detector_parameters_the_algorithm_cannot_take_are_a_400(body, reason):
    _, key = ApiKey.issue("ops", ["admin"])
    admin = APIClient()
    admin.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    detector = Detector.objects.get(name="default")

    response = admin.patch(f"/api/v1/detectors/{detector.pk}", body, format="json")

    assert response.status_code == 400 and reason in str(response.data["params"])
    detector.refresh_from_db()
    assert detector.params == {} and detector.kind == "series"


def test_detector_parameters_sent_as_form_data_are_checked_too():
    # Found by schemathesis: the form value "null" became a JSON null and a 500.
    _, key = ApiKey.issue("ops", ["admin"])
    admin = APIClient()
    admin.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    detector = Detector.objects.get(name="default")

    response = admin.patch(f"/api/v1/detectors/{detector.pk}", {"params": "null"}, format="multipart")

    assert response.status_code == 400 and "keyword arguments" in str(response.data["params"])
