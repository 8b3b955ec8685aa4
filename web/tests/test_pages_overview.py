"""The overview page and its live refresh."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from alerts.choices import AlertState, RuleKind
from alerts.models import Alert, AlertRule
from analytics.models import AnomalyEvent, Detector
from ingestion.models import Series, Source

pytestmark = pytest.mark.django_db


def make_host(name: str) -> Series:
    source = Source.objects.create(name=name)
    labels = {"host": name}
    return Series.objects.create(
        metric="cpu_usage_percent", labels=labels, key=Series.make_key("cpu_usage_percent", labels),
        source=source, last_ts=timezone.now(),
    )  # fmt: skip


def make_event(series: Series) -> AnomalyEvent:
    detector, _ = Detector.objects.get_or_create(name="test", defaults={"selector": "cpu_usage_percent"})
    start = timezone.now() - dt.timedelta(hours=1)
    return AnomalyEvent.objects.create(
        detector=detector, series=series, start=start, end=start, peak_score=0.9, peak_ts=start
    )


def make_alert(series: Series) -> Alert:
    rule, _ = AlertRule.objects.get_or_create(
        name="HighCPU",
        defaults={"kind": RuleKind.THRESHOLD, "selector": "cpu_usage_percent", "threshold": 90},
    )
    return Alert.objects.create(
        rule=rule, series=series, state=AlertState.FIRING, labels={}, started_at=timezone.now(), value=97.0
    )


@pytest.fixture
def user_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("dan", password="x"))
    return client


def test_the_overview_asks_for_a_login(client):
    assert client.get(reverse("overview")).url.startswith("/accounts/login/")
    assert client.get(reverse("overview-live")).status_code == 401


def test_the_overview_shows_hosts_firing_alerts_and_recent_events(user_client):
    web1 = make_host("web-1")
    make_host("db-1")
    make_event(web1)
    make_alert(web1)

    response = user_client.get(reverse("overview"))
    page = response.content.decode()

    assert response.context["counts"] == {"n_series": 2, "n_firing": 1, "n_open_alerts": 1, "n_events": 1}
    hosts = {h.name: (h.n_series, h.n_events, h.n_open_alerts) for h in response.context["hosts"]}
    assert hosts == {"db-1": (1, 0, 0), "web-1": (1, 1, 1)}
    assert "HighCPU" in page and 'href="/reports/"' in page


def test_the_overview_costs_the_same_queries_for_more_hosts(user_client, django_assert_num_queries):
    make_event(make_host("web-1"))
    with django_assert_num_queries(7):
        user_client.get(reverse("overview"))
    for name in ("web-2", "web-3"):
        host = make_host(name)
        make_event(host)
        make_alert(host)

    with django_assert_num_queries(7):
        user_client.get(reverse("overview"))


def test_the_overview_refreshes_when_an_alert_fires(user_client):
    web1 = make_host("web-1")
    first = user_client.get(reverse("overview-live")).json()
    unchanged = user_client.get(reverse("overview-live"), {"stamp": first["stamp"]}).json()

    make_alert(web1)
    changed = user_client.get(reverse("overview-live"), {"stamp": first["stamp"]}).json()

    assert unchanged == {"stamp": first["stamp"]}
    assert "HighCPU" in changed["fragments"]["alerts"]
    assert set(changed["fragments"]) == {"counts", "alerts", "events", "hosts"}
