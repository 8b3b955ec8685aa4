"""The anomaly events page and the alerts page with its acknowledge form."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from alerts.choices import AlertState, RuleKind
from alerts.models import Alert, AlertRule
from analytics.models import AnomalyEvent, Detector, DetectorState
from ingestion.models import Series

pytestmark = pytest.mark.django_db


def make_series(host: str, metric: str = "cpu_usage_percent") -> Series:
    labels = {"host": host}
    return Series.objects.create(metric=metric, labels=labels, key=Series.make_key(metric, labels))


def make_event(series: Series, hours_ago: float, score: float = 0.9) -> AnomalyEvent:
    detector, _ = Detector.objects.get_or_create(name="test", defaults={"selector": "cpu_usage_percent"})
    start = timezone.now() - dt.timedelta(hours=hours_ago)
    return AnomalyEvent.objects.create(
        detector=detector, series=series, start=start, end=start + dt.timedelta(minutes=6),
        peak_score=score, peak_ts=start, n_points=6,
    )  # fmt: skip


def make_alert(series: Series, state: str = AlertState.FIRING) -> Alert:
    rule, _ = AlertRule.objects.get_or_create(
        name="HighCPU",
        defaults={"kind": RuleKind.THRESHOLD, "selector": "cpu_usage_percent", "threshold": 90},
    )
    return Alert.objects.create(
        rule=rule, series=series, state=state, labels={}, started_at=timezone.now(), value=97.0
    )


@pytest.fixture
def user(django_user_model):
    """Someone who may acknowledge: the admin scope (core.scopes), through a group."""
    carol = django_user_model.objects.create_user("carol", password="x")
    on_call = Group.objects.create(name="on call")
    on_call.permissions.add(Permission.objects.get(codename="add_apikey"))
    carol.groups.add(on_call)
    return carol


@pytest.fixture
def user_client(client, user):
    client.force_login(user)
    return client


def test_the_pages_ask_for_a_login(client):
    for url in (reverse("anomaly-list"), reverse("alert-list")):
        assert client.get(url).url.startswith("/accounts/login/")


def test_events_are_listed_newest_first_and_filtered(user_client):
    web1, web2 = make_series("web-1"), make_series("web-2")
    make_event(web1, 30)
    make_event(web2, 2, score=0.55)
    make_event(web1, 24 * 20)  # older than the default 14 days

    everything = user_client.get(reverse("anomaly-list"), {"min_score": ""})
    strong = user_client.get(reverse("anomaly-list"), {"min_score": "0.7"})
    selected = user_client.get(
        reverse("anomaly-list"), {"min_score": "", "match": 'cpu_usage_percent{host="web-2"}'}
    )

    assert [e.series.key for e in everything.context["events"]] == [web2.key, web1.key]
    assert [e.series.key for e in strong.context["events"]] == [web1.key]
    assert [e.series.key for e in selected.context["events"]] == [web2.key]
    assert "range=" in everything.context["events"][0].chart_query


def test_the_events_page_costs_the_same_queries_for_more_events(user_client, django_assert_num_queries):
    make_event(make_series("web-1"), 1)
    # Two of them read the person's permissions: may they mark false positives?
    with django_assert_num_queries(8):
        user_client.get(reverse("anomaly-list"))
    for host in ("web-2", "web-3", "web-4"):
        make_event(make_series(host), 3)

    with django_assert_num_queries(8):
        assert len(user_client.get(reverse("anomaly-list")).context["events"]) == 4


def test_the_events_page_says_how_many_series_are_still_learning(user_client):
    detector = Detector.objects.create(name="new", selector="cpu_usage_percent")
    for host, learning in (("web-1", True), ("web-2", True), ("web-3", False)):
        DetectorState.objects.create(detector=detector, series=make_series(host), learning=learning)

    page = user_client.get(reverse("anomaly-list"))

    assert page.context["learning"] == 2
    assert "2 series still learning" in page.content.decode()
    detector.enabled = False
    detector.save()
    assert "still learning" not in user_client.get(reverse("anomaly-list")).content.decode()


def test_open_alerts_are_listed_by_default_and_all_on_request(user_client):
    firing = make_alert(make_series("web-1"))
    resolved = make_alert(make_series("web-2"), AlertState.RESOLVED)

    assert user_client.get(reverse("alert-list")).context["alerts"] == [firing]
    assert set(user_client.get(reverse("alert-list"), {"state": "all"}).context["alerts"]) == {
        firing,
        resolved,
    }


def test_the_alerts_page_costs_the_same_queries_for_more_alerts(user_client, django_assert_num_queries):
    make_alert(make_series("web-1"))
    # Two of them read the person's permissions: may they acknowledge?
    with django_assert_num_queries(6):
        user_client.get(reverse("alert-list"))
    for host in ("web-2", "web-3"):
        make_alert(make_series(host))

    with django_assert_num_queries(6):
        assert len(user_client.get(reverse("alert-list")).context["alerts"]) == 3


def test_acknowledging_an_open_alert_records_who_and_returns_to_the_list(user_client):
    alert = make_alert(make_series("web-1"))

    response = user_client.post(
        reverse("alert-acknowledge", args=[alert.pk]), {"next": "/alerts/?state=all"}, follow=True
    )

    alert.refresh_from_db()
    assert alert.acknowledged_by == "carol" and alert.acknowledged_at is not None
    assert response.redirect_chain[-1][0] == "/alerts/?state=all"
    assert "Acknowledged HighCPU" in response.content.decode()


def test_a_resolved_alert_cannot_be_acknowledged(user_client):
    alert = make_alert(make_series("web-1"), AlertState.RESOLVED)

    response = user_client.post(reverse("alert-acknowledge", args=[alert.pk]), follow=True)

    alert.refresh_from_db()
    assert alert.acknowledged_at is None
    assert "cannot be acknowledged" in response.content.decode()


def test_acknowledging_needs_a_post_with_the_csrf_token_and_a_safe_next(user, user_client):
    alert = make_alert(make_series("web-1"))
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)

    assert user_client.get(reverse("alert-acknowledge", args=[alert.pk])).status_code == 405
    assert strict.post(reverse("alert-acknowledge", args=[alert.pk])).status_code == 403
    away = user_client.post(reverse("alert-acknowledge", args=[alert.pk]), {"next": "https://evil.example/"})
    assert away.url == reverse("alert-list")
