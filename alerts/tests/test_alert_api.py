"""The alerts API: status, body and rows for rules, channels, silences,
alerts (filter, acknowledge) and deliveries; scopes; query counts."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission, User
from rest_framework.test import APIClient

from alerts.jobs import dispatch_notifications, evaluate_alert_rules
from alerts.models import Alert, AlertRule, Delivery, NotificationChannel, Silence
from alerts.tests.alert_helpers import MINUTE, NOW, forget_caches, make_rule, store, webhook_channel
from ingestion.models import ApiKey


@pytest.fixture(autouse=True)
def _clean_caches(db):
    forget_caches()


def client_with(scopes, name):
    _, key = ApiKey.issue(name, scopes)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def admin(db):
    return client_with(["admin"], "ops")


@pytest.fixture
def reader(db):
    return client_with(["read"], "dashboard")


RULE = {
    "name": "HighCPU",
    "kind": "threshold",
    "selector": 'cpu_usage_percent{host=~"web-.*"}',
    "operator": ">",
    "threshold": 90,
    "for_seconds": 300,
    "severity": "critical",
    "labels": {"team": "web"},
    "summary": "CPU on {{ labels.host }} is {{ value }}%",
    "group_by": ["host"],
}


def test_an_admin_key_creates_a_rule_with_its_channels(admin):
    channel = webhook_channel("https://hooks.example.com/x")

    response = admin.post("/api/v1/alert-rules", {**RULE, "channels": [channel.pk]}, format="json")

    assert response.status_code == 201, response.data
    assert response.data["name"] == "HighCPU" and response.data["channels"] == [channel.pk]
    rule = AlertRule.objects.get()
    assert (rule.for_seconds, rule.group_by, list(rule.channels.all())) == (300, ["host"], [channel])


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"selector": "cpu{host=~"}, "selector"),
        ({"threshold": None}, "threshold"),
        ({"summary": "{% if %}"}, "summary"),
        ({"group_by": ["not a label"]}, "group_by"),
        ({"min_score": 1.5}, "min_score"),
        ({"kind": "sometimes"}, "kind"),
    ],
)
def test_a_bad_rule_is_refused_naming_the_field(admin, change, field):
    response = admin.post("/api/v1/alert-rules", {**RULE, **change}, format="json")

    assert response.status_code == 400
    assert field in response.data
    assert AlertRule.objects.count() == 0


def test_a_read_key_may_list_rules_but_not_write_them(reader):
    make_rule()

    assert reader.get("/api/v1/alert-rules").status_code == 200
    assert reader.post("/api/v1/alert-rules", RULE, format="json").status_code == 403
    assert reader.delete(f"/api/v1/alert-rules/{AlertRule.objects.get().pk}").status_code == 403
    assert AlertRule.objects.count() == 1


def test_a_logged_in_person_reads_and_only_one_with_the_admin_permission_writes(db):
    client = APIClient()
    client.force_login(User.objects.create_user("alice", is_staff=True))
    assert client.get("/api/v1/alerts").status_code == 200
    assert client.post("/api/v1/alert-rules", RULE, format="json").status_code == 403

    bob = User.objects.create_user("bob")
    bob.user_permissions.add(Permission.objects.get(codename="add_apikey"))
    client.force_login(bob)
    assert client.post("/api/v1/alert-rules", RULE, format="json").status_code == 201


def test_anonymous_requests_are_refused(db):
    assert APIClient().get("/api/v1/alerts").status_code == 401


def test_channels_are_created_and_checked_and_re_enabled(admin):
    bad = admin.post(
        "/api/v1/notification-channels",
        {"name": "mail", "kind": "email", "addresses": ["nope"]},
        format="json",
    )
    no_url = admin.post("/api/v1/notification-channels", {"name": "hook", "kind": "webhook"}, format="json")
    assert (bad.status_code, no_url.status_code) == (400, 400)
    assert "addresses" in bad.data and "url" in no_url.data

    channel = webhook_channel("https://hooks.example.com/x")
    channel.disable("HTTP 404", NOW)
    response = admin.patch(
        f"/api/v1/notification-channels/{channel.pk}", {"disabled_reason": ""}, format="json"
    )

    assert response.status_code == 200 and response.data["disabled_reason"] == ""
    channel.refresh_from_db()
    assert (channel.disabled_reason, channel.disabled_at) == ("", None)


def test_a_silence_is_created_by_whoever_asked_and_listed_while_active(admin, reader):
    now = dt.datetime.now(dt.UTC)
    response = admin.post(
        "/api/v1/silences",
        {
            "matchers": '{alertname="HighCPU"}',
            "ends_at": (now + dt.timedelta(hours=2)).isoformat(),
            "comment": "deploy",
        },
        format="json",
    )
    assert response.status_code == 201, response.data
    assert (response.data["created_by"], response.data["active"]) == ("key:ops", True)
    Silence.objects.create(
        matchers='{host="x"}', starts_at=now - dt.timedelta(days=2), ends_at=now - dt.timedelta(days=1)
    )

    active = reader.get("/api/v1/silences", {"active": "true"})
    expired = reader.get("/api/v1/silences", {"active": "false"})

    assert [s["comment"] for s in active.data["results"]] == ["deploy"]
    assert [s["matchers"] for s in expired.data["results"]] == ['{host="x"}']


def test_a_silence_must_end_after_it_starts_and_have_valid_matchers(admin):
    now = dt.datetime.now(dt.UTC)
    backwards = admin.post(
        "/api/v1/silences",
        {"matchers": '{host="a"}', "starts_at": now.isoformat(), "ends_at": (now - MINUTE).isoformat()},
        format="json",
    )
    bad = admin.post("/api/v1/silences", {"matchers": "{host=", "ends_at": now.isoformat()}, format="json")

    assert (backwards.status_code, bad.status_code) == (400, 400)
    assert "ends_at" in backwards.data and "matchers" in bad.data


@pytest.fixture
def alerts(db):
    """Three firing alerts of a critical rule on web hosts and one of a warning rule on db-1."""
    for host in ("web-1", "web-2", "web-3", "db-1"):
        store([95.0], labels={"host": host})
    web = make_rule(selector='cpu_usage_percent{host=~"web-.*"}', severity="critical")
    db_rule = make_rule(name="DbCPU", selector='cpu_usage_percent{host="db-1"}', severity="warning")
    evaluate_alert_rules(NOW)
    return web, db_rule


def test_alerts_are_listed_newest_first_and_filtered(reader, alerts):
    web, db_rule = alerts
    every = reader.get("/api/v1/alerts")
    critical = reader.get("/api/v1/alerts", {"severity": "critical"})
    of_db = reader.get("/api/v1/alerts", {"rule": db_rule.pk, "state": "firing"})
    series_id = Alert.objects.filter(rule=web).order_by("id").first().series_id
    of_series = reader.get("/api/v1/alerts", {"series": series_id})
    resolved = reader.get("/api/v1/alerts", {"state": "resolved"})

    assert every.status_code == 200 and len(every.data["results"]) == 4
    assert {a["rule_name"] for a in critical.data["results"]} == {"HighCPU"}
    (db_alert,) = of_db.data["results"]
    assert (db_alert["series_key"], db_alert["severity"], db_alert["state"]) == (
        'cpu_usage_percent{host="db-1"}',
        "warning",
        "firing",
    )
    assert db_alert["value"] == 95.0 and db_alert["silenced"] is False
    assert [a["series"] for a in of_series.data["results"]] == [series_id]
    assert resolved.data["results"] == []


@pytest.mark.parametrize(
    ("parameter", "value"), [("state", "burning"), ("rule", "x"), ("acknowledged", "maybe")]
)
def test_a_bad_filter_is_a_400_naming_the_parameter(reader, alerts, parameter, value):
    response = reader.get("/api/v1/alerts", {parameter: value})

    assert response.status_code == 400
    assert response.data["parameter"] == parameter


def test_the_alert_list_costs_the_same_queries_for_any_number_of_alerts(
    reader, alerts, django_assert_num_queries, settings
):
    settings.TSMON_API_KEY_CACHE_SECONDS = 3600  # the key is read once, then remembered
    reader.get("/api/v1/alerts")  # the key's last_used_at is written on first use
    # the page with rules and series joined
    with django_assert_num_queries(1):
        response = reader.get("/api/v1/alerts")
    assert len(response.data["results"]) == 4

    for i in range(10):
        store([95.0], labels={"host": f"web-{i + 10}"})
    evaluate_alert_rules(NOW + MINUTE)
    with django_assert_num_queries(1):
        response = reader.get("/api/v1/alerts")
    assert len(response.data["results"]) == 14


def test_the_alert_list_pages_with_a_cursor(reader, alerts):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("alerts.api.AlertPagination.page_size", 3)
        first = reader.get("/api/v1/alerts")
        second = reader.get(first.data["next"])

    ids = [a["id"] for a in first.data["results"]] + [a["id"] for a in second.data["results"]]
    assert len(ids) == 4 and len(set(ids)) == 4
    assert second.data["next"] is None


def test_acknowledging_an_alert_records_who_and_when(admin, alerts):
    alert = Alert.objects.filter(state="firing").first()

    response = admin.post(f"/api/v1/alerts/{alert.pk}/acknowledge")

    assert response.status_code == 200
    assert response.data["acknowledged_by"] == "key:ops" and response.data["acknowledged_at"] is not None
    alert.refresh_from_db()
    assert alert.acknowledged_by == "key:ops"
    acknowledged = admin.get("/api/v1/alerts", {"acknowledged": "true"})
    assert [a["id"] for a in acknowledged.data["results"]] == [alert.pk]


def test_only_open_alerts_can_be_acknowledged_and_only_with_admin_scope(admin, reader, alerts):
    alert = Alert.objects.filter(state="firing").first()
    assert reader.post(f"/api/v1/alerts/{alert.pk}/acknowledge").status_code == 403
    Alert.objects.filter(pk=alert.pk).update(state="resolved")

    response = admin.post(f"/api/v1/alerts/{alert.pk}/acknowledge")

    assert response.status_code == 400 and response.data["parameter"] == "id"
    assert admin.post("/api/v1/alerts/999999/acknowledge").status_code == 404
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_deliveries_are_listed_with_their_outcome(reader, django_assert_num_queries, settings):
    settings.TSMON_OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]  # where nothing listens
    settings.TSMON_API_KEY_CACHE_SECONDS = 3600  # the key is read once, then remembered
    channel = webhook_channel("http://127.0.0.1:9/hook", name="dead-hook")
    for host in ("web-1", "web-2", "web-3"):
        store([95.0], labels={"host": host})
    make_rule(group_by=["host"], channels=[channel])
    evaluate_alert_rules(NOW)
    dispatch_notifications(NOW)
    reader.get("/api/v1/deliveries")

    with django_assert_num_queries(1):
        response = reader.get("/api/v1/deliveries", {"channel": channel.pk, "outcome": "temporary_failure"})

    assert response.status_code == 200
    assert len(response.data["results"]) == Delivery.objects.count() == 3
    first = response.data["results"][0]
    assert (first["channel_name"], first["status"], first["http_status"]) == ("dead-hook", "firing", None)
    assert first["error"].startswith("could not reach") and len(first["alerts"]) == 1


def test_a_read_key_cannot_see_channels_whose_urls_may_hold_tokens(reader, admin):
    webhook_channel("https://hooks.example.com/services/T000/B000/secret")

    assert reader.get("/api/v1/notification-channels").status_code == 403
    listed = admin.get("/api/v1/notification-channels")
    assert listed.status_code == 200 and "secret" in listed.data["results"][0]["url"]


def test_deleting_a_channel_keeps_the_rule(admin):
    channel = NotificationChannel.objects.create(name="mail", kind="email", addresses=["a@example.com"])
    rule = make_rule(channels=[channel])

    assert admin.delete(f"/api/v1/notification-channels/{channel.pk}").status_code == 204

    assert list(AlertRule.objects.get(pk=rule.pk).channels.all()) == []
