"""False-positive marks: made on the anomalies page, listed there and in the
API, kept when the detector forgets its events, and read by the backtest."""

import datetime as dt
from io import StringIO

import numpy as np
import pandas as pd
import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from analytics import false_positives
from analytics.models import AnomalyEvent, FalsePositive
from ingestion.models import ApiKey, Series
from ingestion.writer import write_samples
from tsmon.testing import make_samples
from web.tests.test_anomaly_pages import make_event, make_series

pytestmark = pytest.mark.django_db


@pytest.fixture
def judge(django_user_model):
    erin = django_user_model.objects.create_user("erin", password="x")
    erin.user_permissions.add(Permission.objects.get(codename="add_apikey"))
    return erin


@pytest.fixture
def judge_client(client, judge):
    client.force_login(judge)
    return client


def test_marking_an_event_stores_who_why_and_its_stretch_and_the_page_lists_it(judge_client):
    event = make_event(make_series("web-1"), 3)
    other = make_event(make_series("web-2"), 2)

    response = judge_client.post(
        reverse("false-positive-mark", args=[event.pk]),
        {"reason": "nightly batch", "next": "/anomalies/?range=7d"},
        follow=True,
    )

    mark = FalsePositive.objects.get()
    assert (mark.series_id, mark.start, mark.end, mark.event) == (
        event.series_id,
        event.start,
        event.end,
        event,
    )
    assert (mark.reason, mark.marked_by, mark.detector_name) == ("nightly batch", "erin", "test")
    assert response.redirect_chain[-1][0] == "/anomalies/?range=7d"
    shown = {e.pk: e.false_positive for e in response.context["events"]}
    assert shown[event.pk]["reason"] == "nightly batch" and shown[other.pk] is None
    assert "as a false positive" in response.content.decode()
    only = judge_client.get(reverse("anomaly-list"), {"false_positives": "only"}).context["events"]
    hidden = judge_client.get(reverse("anomaly-list"), {"false_positives": "hide"}).context["events"]
    assert [e.pk for e in only] == [event.pk] and [e.pk for e in hidden] == [other.pk]


def test_a_second_mark_and_a_long_reason_are_refused_and_undo_takes_the_mark_back(judge_client):
    event = make_event(make_series("web-1"), 3)
    judge_client.post(reverse("false-positive-mark", args=[event.pk]), {"reason": ""})

    again = judge_client.post(reverse("false-positive-mark", args=[event.pk]), {"reason": "x"}, follow=True)
    too_long = judge_client.post(
        reverse("false-positive-mark", args=[make_event(make_series("web-2"), 1).pk]),
        {"reason": "x" * 501},
        follow=True,
    )

    assert "already marked" in again.content.decode()
    assert "at most 500 characters" in too_long.content.decode()
    assert FalsePositive.objects.count() == 1
    judge_client.post(reverse("false-positive-remove", args=[FalsePositive.objects.get().pk]))
    assert not FalsePositive.objects.exists()


def test_the_mark_outlives_the_event_and_covers_the_event_found_again(judge_client):
    series = make_series("web-1")
    event = make_event(series, 3)
    judge_client.post(reverse("false-positive-mark", args=[event.pk]), {"reason": "deploy"})
    detector = event.detector
    detector.params = {"alarm_level": 0.9}
    detector.save()  # forgets the detector's events
    assert not AnomalyEvent.objects.exists() and FalsePositive.objects.get().event is None

    again = AnomalyEvent.objects.create(
        detector=detector, series=series, start=event.start + dt.timedelta(minutes=1),
        end=event.end, peak_score=0.9, peak_ts=event.start, n_points=5,
    )  # fmt: skip

    shown = judge_client.get(reverse("anomaly-list")).context["events"]
    assert [(e.pk, e.false_positive["reason"]) for e in shown] == [(again.pk, "deploy")]


def test_marking_needs_the_admin_scope_a_post_and_the_csrf_token(judge, client, django_user_model):
    event = make_event(make_series("web-1"), 3)
    client.force_login(django_user_model.objects.create_user("rita", password="x"))
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(judge)

    assert client.post(reverse("false-positive-mark", args=[event.pk])).status_code == 403
    assert "False positive…" not in client.get(reverse("anomaly-list")).content.decode()
    assert strict.post(reverse("false-positive-mark", args=[event.pk])).status_code == 403
    assert strict.get(reverse("false-positive-mark", args=[event.pk])).status_code == 405
    assert not FalsePositive.objects.exists()


def test_the_api_lists_the_mark_with_each_event_and_filters_by_it(judge_client):
    marked, plain = make_event(make_series("web-1"), 3), make_event(make_series("web-2"), 2)
    judge_client.post(reverse("false-positive-mark", args=[marked.pk]), {"reason": "batch"})
    _, key = ApiKey.issue("dash", ["read"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    window = {"start": "now-1d"}

    listed = {r["id"]: r["false_positive"] for r in api.get("/api/v1/anomaly-events", window).data["results"]}
    only = api.get("/api/v1/anomaly-events", {**window, "false_positive": "true"}).data["results"]
    others = api.get("/api/v1/anomaly-events", {**window, "false_positive": "false"}).data["results"]
    one = api.get(f"/api/v1/anomaly-events/{marked.pk}").data

    assert listed[plain.pk] is None
    assert listed[marked.pk]["reason"] == "batch" and listed[marked.pk]["marked_by"] == "erin"
    assert [r["id"] for r in only] == [marked.pk] and [r["id"] for r in others] == [plain.pk]
    assert one["false_positive"]["reason"] == "batch"
    bad = api.get("/api/v1/anomaly-events", {**window, "false_positive": "yes"})
    assert bad.status_code == 400 and "false_positive" in str(bad.data)


def test_count_inside_counts_the_times_within_marked_stretches():
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    stretches = [
        (t0, t0 + dt.timedelta(minutes=10)),
        (t0 + dt.timedelta(hours=1), t0 + dt.timedelta(hours=2)),
    ]
    times = pd.DatetimeIndex(
        [t0 - dt.timedelta(seconds=1), t0, t0 + dt.timedelta(minutes=10), t0 + dt.timedelta(minutes=30),
         t0 + dt.timedelta(hours=1, minutes=5)]
    )  # fmt: skip
    assert false_positives.count_inside(times.as_unit("ns").asi8, stretches) == 3
    assert false_positives.count_inside(times.as_unit("ns").asi8, []) == 0


def test_the_backtest_says_how_many_of_its_events_fall_on_marked_false_positives(tmp_path):
    n, spike = 2000, 1700
    rng = np.random.default_rng(3)
    values = 40 + 5 * np.sin(np.arange(n) * 2 * np.pi / 240) + rng.normal(size=n)
    values[spike] += 30
    start = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(minutes=n)
    write_samples(make_samples("cpu_usage_percent", {"host": "web-1"}, start, n, values=values))
    series = Series.objects.get()
    at = start + dt.timedelta(minutes=spike)
    FalsePositive.objects.create(
        series=series,
        start=at - dt.timedelta(minutes=2),
        end=at + dt.timedelta(minutes=5),
        reason="load test",
    )
    out = StringIO()

    call_command(
        "backtest", str(tmp_path), "--selector", "cpu_usage_percent", "--start", "now-3d", stdout=out
    )

    text = out.getvalue()
    assert f"{series.key}: {n} points" in text and "1 on marked false positives" in text
    marks = pd.read_csv(tmp_path / "false_positives.csv")
    assert list(marks.columns) == ["series_id", "series_key", "start", "end", "reason"]
    assert marks["reason"].tolist() == ["load test"] and marks["series_id"].tolist() == [series.pk]
    assert text.strip().splitlines()[-1].startswith("backtest: 1 series")
