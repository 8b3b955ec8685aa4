"""Silencing from the pages: an alert, a series, the list and "expire now"."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from alerts.choices import AlertState, RuleKind
from alerts.evaluation import evaluate_rule
from alerts.models import Alert, AlertRule, Silence
from ingestion.models import Series
from ingestion.writer import write_samples
from tsmon.testing import make_samples
from web.tests.test_anomaly_pages import make_alert, make_series

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(django_user_model):
    dana = django_user_model.objects.create_user("dana", password="x")
    dana.user_permissions.add(Permission.objects.get(codename="add_apikey"))
    return dana


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def reader_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("rita", password="x"))
    return client


def test_silencing_an_alert_mutes_it_and_only_it_for_the_duration_with_the_reason(admin_client):
    web1, web2 = make_series("web-1"), make_series("web-2")
    alert, other = make_alert(web1), make_alert(web2)
    for a in (alert, other):
        a.labels = a.rule.alert_labels(a.series)
        a.save()
    before = timezone.now()
    form = admin_client.get(reverse("alert-list")).content.decode()
    assert f'action="{reverse("alert-silence", args=[alert.pk])}"' in form and "<option>1d</option>" in form

    response = admin_client.post(
        reverse("alert-silence", args=[alert.pk]),
        {"duration": "2h", "reason": "deploying web-1", "next": "/alerts/?state=all"},
        follow=True,
    )

    silence = Silence.objects.get()
    assert silence.comment == "deploying web-1" and silence.created_by == "dana"
    assert silence.matchers == 'cpu_usage_percent{alertname="HighCPU",host="web-1"}'
    assert dt.timedelta(hours=2) <= silence.ends_at - before < dt.timedelta(hours=2, minutes=1)
    alert.refresh_from_db()
    other.refresh_from_db()
    assert alert.silenced_by == silence and other.silenced_by is None
    assert response.redirect_chain[-1][0] == "/alerts/?state=all"
    page = response.content.decode()
    assert "Silenced HighCPU on" in page and "1 open alert muted" in page and "deploying web-1" in page


def test_a_series_silence_mutes_every_rule_on_it_and_the_evaluator_keeps_it_muted(admin_client):
    now = timezone.now()
    write_samples(
        make_samples(
            "cpu_usage_percent", {"host": "web-1"}, now - dt.timedelta(minutes=2), 2, values=[95, 96]
        )
    )
    rule = AlertRule.objects.create(
        name="Hot", kind=RuleKind.THRESHOLD, selector="cpu_usage_percent", threshold=90
    )
    series = Series.objects.get(metric="cpu_usage_percent")

    page = admin_client.get(reverse("series-silence", args=[series.pk]))
    assert "This series is not silenced" in page.content.decode()
    admin_client.post(
        reverse("series-silence", args=[series.pk]), {"duration": "1d", "reason": "known hot host"}
    )
    evaluate_rule(rule, timezone.now(), list(Silence.objects.all()))

    alert = Alert.objects.get(rule=rule)
    assert alert.state == AlertState.FIRING and alert.silenced_by is not None
    assert alert.last_notified_at is None  # silenced alerts notify no one
    listed = admin_client.get(reverse("series-silence", args=[series.pk])).context["silences"]
    assert [s.comment for s in listed] == ["known hot host"]


def test_bad_durations_and_a_missing_reason_are_refused_with_a_message(admin_client):
    alert = make_alert(make_series("web-1"))
    for form, says in [
        ({"duration": "soon", "reason": "x"}, "is not a duration"),
        ({"duration": "31d", "reason": "x"}, "at most 30 days"),
        ({"duration": "1h", "reason": "   "}, "reason: say why"),
        ({"duration": "1h", "reason": "x" * 501}, "at most 500 characters"),
    ]:
        response = admin_client.post(reverse("alert-silence", args=[alert.pk]), form, follow=True)
        assert says in response.content.decode(), form
    assert not Silence.objects.exists()


def test_expiring_a_silence_ends_it_now_and_unmutes_its_alerts(admin_client):
    alert = make_alert(make_series("web-1"))
    now = timezone.now()
    silence = Silence.objects.create(matchers="cpu_usage_percent", ends_at=now + dt.timedelta(hours=4))
    Alert.objects.filter(pk=alert.pk).update(silenced_by=silence)

    listed = admin_client.get(reverse("silence-list"))
    assert listed.context["active"] == [silence]
    admin_client.post(reverse("silence-expire", args=[silence.pk]))

    silence.refresh_from_db()
    alert.refresh_from_db()
    assert silence.ends_at <= timezone.now() and alert.silenced_by is None
    after = admin_client.get(reverse("silence-list")).context
    assert after["active"] == [] and after["ended"] == [silence]


def test_silencing_needs_the_admin_scope_a_post_and_the_csrf_token(admin_user, reader_client):
    alert = make_alert(make_series("web-1"))
    form = {"duration": "1h", "reason": "x"}

    assert reader_client.post(reverse("alert-silence", args=[alert.pk]), form).status_code == 403
    assert reader_client.post(reverse("series-silence", args=[alert.series_id]), form).status_code == 403
    page = reader_client.get(reverse("series-silence", args=[alert.series_id]))
    assert page.status_code == 200 and "needs the admin scope" in page.content.decode()
    assert "Silence…" not in reader_client.get(reverse("alert-list")).content.decode()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(admin_user)
    assert strict.post(reverse("alert-silence", args=[alert.pk]), form).status_code == 403
    assert strict.get(reverse("alert-silence", args=[alert.pk])).status_code == 405
    assert not Silence.objects.exists()
    anonymous = Client()
    for url in (reverse("silence-list"), reverse("series-silence", args=[alert.series_id])):
        assert anonymous.get(url).url.startswith("/accounts/login/")


def test_an_unsafe_next_goes_back_to_the_alerts_page(admin_client):
    alert = make_alert(make_series("web-1"))
    response = admin_client.post(
        reverse("alert-silence", args=[alert.pk]),
        {"duration": "1h", "reason": "x", "next": "https://evil.example/"},
    )
    assert response.url == reverse("alert-list")


def test_the_series_page_silences_its_series_inline_and_then_says_until_when(admin_client):
    series = make_series("web-1")
    page_url = reverse("series-detail", args=[series.pk]) + "?range=6h"
    before = admin_client.get(page_url).content.decode()
    assert "Not silenced: its alerts notify." in before
    assert f'action="{reverse("series-silence", args=[series.pk])}"' in before

    response = admin_client.post(
        reverse("series-silence", args=[series.pk]),
        {"duration": "3d", "reason": "migrating web-1", "next": page_url},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == page_url
    silence = Silence.objects.get()
    assert silence.matchers == series.key and silence.comment == "migrating web-1"
    after = response.content.decode()
    assert "Silenced until" in after and "migrating web-1" in after and "Silenced cpu_usage_percent" in after


def test_the_series_page_shows_the_silence_but_no_form_to_a_reader(reader_client):
    series = make_series("web-1")
    Silence.objects.create(
        matchers=series.key, comment="known", created_by="dana",
        starts_at=timezone.now(), ends_at=timezone.now() + dt.timedelta(hours=1),
    )  # fmt: skip

    page = reader_client.get(reverse("series-detail", args=[series.pk])).content.decode()

    assert "Silenced until" in page and "known" in page
    assert 'data-testid="series-page-silence-form"' not in page
