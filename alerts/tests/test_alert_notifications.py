"""Notifications: the webhook and e-mail messages, retries with back-off,
permanent failures, and the queue claim that keeps two dispatchers apart."""

import datetime as dt
import threading

import pytest
from django.db import connection

from alerts.evaluation import enqueue_notifications
from alerts.jobs import claim_notification, dispatch_notifications, evaluate_alert_rules
from alerts.models import Alert, Delivery, Notification, NotificationChannel
from alerts.notifiers import NotifierError, WebhookNotifier
from alerts.tests.alert_helpers import (
    MINUTE,
    NOW,
    forget_caches,
    make_rule,
    serve_webhook,
    store,
    webhook_channel,
)
from core.outbound import origin

SECOND = dt.timedelta(seconds=1)


@pytest.fixture(autouse=True)
def _clean_caches(db):
    forget_caches()


@pytest.fixture(autouse=True)
def _local_receivers_allowed(settings):
    # The receivers are real servers on 127.0.0.1, which core.outbound refuses by default.
    settings.TSMON_OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]


@pytest.fixture
def receiver():
    hook = serve_webhook()
    yield hook
    hook.server.shutdown()
    hook.server.server_close()


def firing_cpu(channels, **fields):
    """A CPU series at 95 and a rule that fires on it at NOW."""
    series = store([50.0] * 9 + [95.0])
    rule = make_rule(channels=channels, summary="CPU on {{ labels.host }} is {{ value }}%", **fields)
    evaluate_alert_rules(NOW)
    return series, rule


def test_the_webhook_receives_alertmanager_v4_json_that_says_why(receiver, settings):
    settings.TSMON_PUBLIC_URL = "https://tsmon.example.com/"
    channel = webhook_channel(receiver.url)
    series, _ = firing_cpu([channel], severity="critical", labels={"team": "web"})

    totals = dispatch_notifications(NOW)

    assert totals["ok"] == 1
    (request,) = receiver.received
    assert request["headers"]["Content-Type"] == "application/json"
    body = request["body"]
    assert {k: body[k] for k in ("version", "status", "receiver", "truncatedAlerts", "externalURL")} == {
        "version": "4",
        "status": "firing",
        "receiver": "ops-hook",
        "truncatedAlerts": 0,
        "externalURL": "https://tsmon.example.com",
    }
    assert body["groupLabels"] == {"alertname": "HighCPU"}
    assert body["groupKey"] == '{}:{alertname="HighCPU"}'
    labels = {"alertname": "HighCPU", "host": "web-1", "severity": "critical", "team": "web"}
    assert body["commonLabels"] == labels
    (alert,) = body["alerts"]
    assert alert["status"] == "firing" and alert["labels"] == labels
    assert (alert["startsAt"], alert["endsAt"]) == ("2026-11-20T12:00:00Z", "0001-01-01T00:00:00Z")
    assert alert["generatorURL"] == f"https://tsmon.example.com/api/v1/series/{series.pk}"
    assert len(alert["fingerprint"]) == 16
    assert alert["annotations"]["summary"] == "CPU on web-1 is 95%"
    assert alert["annotations"]["value"] == "95"
    assert alert["annotations"]["series"] == 'cpu_usage_percent{host="web-1"}'
    assert alert["annotations"]["alert_url"].startswith("https://tsmon.example.com/api/v1/alerts/")


def test_the_resolved_message_has_an_end_time(receiver):
    channel = webhook_channel(receiver.url)
    firing_cpu([channel])
    store([10.0], end=NOW + MINUTE)
    evaluate_alert_rules(NOW + MINUTE)

    dispatch_notifications(NOW + MINUTE)

    bodies = [r["body"] for r in receiver.received]
    assert [b["status"] for b in bodies] == ["firing", "resolved"]
    assert bodies[1]["alerts"][0]["endsAt"] == "2026-11-20T12:01:00Z"


def test_the_expected_band_and_score_are_in_the_message(receiver, db):
    channel = webhook_channel(receiver.url)
    series = store([95.0])
    rule = make_rule(channels=[channel])
    alert = Alert.objects.create(
        rule=rule,
        series=series,
        state="firing",
        labels=rule.alert_labels(series),
        started_at=NOW,
        fired_at=NOW,
        value=95.0,
        expected=50.0,
        lo=40.0,
        hi=60.0,
        score=0.93,
    )
    enqueue_notifications(rule, [alert], NOW)
    dispatch_notifications(NOW)

    notes = receiver.received[0]["body"]["alerts"][0]["annotations"]
    assert (notes["value"], notes["expected"], notes["band"], notes["score"]) == (
        "95",
        "50",
        "[40, 60]",
        "0.93",
    )


def test_email_goes_through_django_mail_with_value_and_link(mailoutbox, settings):
    settings.TSMON_PUBLIC_URL = "https://tsmon.example.com"
    channel = NotificationChannel.objects.create(name="oncall", kind="email", addresses=["ops@example.com"])
    series, _ = firing_cpu([channel])

    totals = dispatch_notifications(NOW)

    assert totals["ok"] == 1
    (mail,) = mailoutbox
    assert mail.to == ["ops@example.com"]
    assert mail.subject == "[FIRING:1] alertname=HighCPU"
    assert "CPU on web-1 is 95%" in mail.body and "value: 95" in mail.body
    assert f"https://tsmon.example.com/api/v1/series/{series.pk}" in mail.body
    assert Delivery.objects.get().outcome == "ok"


def test_a_malformed_address_disables_the_channel_and_says_why(mailoutbox):
    channel = NotificationChannel.objects.create(name="oncall", kind="email", addresses=["not an address"])
    firing_cpu([channel])

    dispatch_notifications(NOW)

    channel.refresh_from_db()
    assert channel.disabled_reason == "'not an address' is not an e-mail address"
    assert channel.disabled_at == NOW
    assert mailoutbox == []
    delivery = Delivery.objects.get()
    assert (delivery.outcome, delivery.error) == ("permanent_failure", channel.disabled_reason)
    assert Notification.objects.get().outcome == "failed"


def test_a_server_error_is_retried_with_exponential_back_off():
    hook = serve_webhook(statuses=[500, 503])
    try:
        channel = webhook_channel(hook.url)
        firing_cpu([channel])

        assert dispatch_notifications(NOW)["temporary_failure"] == 1
        notification = Notification.objects.get()
        assert (notification.attempts, notification.next_attempt_at) == (1, NOW + 30 * SECOND)
        assert dispatch_notifications(NOW + 29 * SECOND)["temporary_failure"] == 0  # not due yet
        assert dispatch_notifications(NOW + 30 * SECOND)["temporary_failure"] == 1
        notification.refresh_from_db()
        assert notification.next_attempt_at == NOW + 90 * SECOND  # then 60s later
        assert dispatch_notifications(NOW + 90 * SECOND)["ok"] == 1
    finally:
        hook.server.shutdown()
        hook.server.server_close()

    notification.refresh_from_db()
    assert (notification.outcome, notification.processed_at, notification.attempts) == (
        "sent",
        NOW + 90 * SECOND,
        3,
    )
    deliveries = Delivery.objects.order_by("attempted_at")
    assert [(d.outcome, d.http_status) for d in deliveries] == [
        ("temporary_failure", 500),
        ("temporary_failure", 503),
        ("ok", 200),
    ]
    assert deliveries[0].error == f"HTTP 500 Internal Server Error from {origin(hook.url)}"
    assert all(d.duration_ms > 0 for d in deliveries)
    assert len(hook.received) == 3


def test_back_off_doubles_up_to_an_hour():
    notification = Notification()
    delays = []
    for attempts in range(1, 10):
        notification.attempts = attempts
        delays.append(notification.retry_delay().total_seconds())
    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_429_is_temporary_and_other_4xx_disable_the_channel():
    hook = serve_webhook(statuses=[429, 404])
    try:
        channel = webhook_channel(hook.url)
        firing_cpu([channel])
        dispatch_notifications(NOW)
        dispatch_notifications(NOW + MINUTE)
    finally:
        hook.server.shutdown()
        hook.server.server_close()

    channel.refresh_from_db()
    assert channel.disabled_reason == f"HTTP 404 Not Found from {origin(hook.url)}"
    assert list(Delivery.objects.order_by("id").values_list("outcome", "http_status")) == [
        ("temporary_failure", 429),
        ("permanent_failure", 404),
    ]


def test_a_disabled_channel_drops_what_was_queued_for_it(receiver):
    channel = webhook_channel(receiver.url)
    firing_cpu([channel])
    channel.disable("HTTP 410: gone", NOW)

    totals = dispatch_notifications(NOW)

    assert totals["dropped"] == 1 and receiver.received == []
    assert Notification.objects.get().outcome == "dropped"


def test_an_unreachable_receiver_is_a_temporary_failure_with_the_reason():
    channel = webhook_channel(
        "http://user:hunter2@127.0.0.1:9/hook/T000/XyZsecret?token=tok3n"
    )  # nothing listens
    firing_cpu([channel])

    dispatch_notifications(NOW)

    delivery = Delivery.objects.get()
    assert (delivery.outcome, delivery.http_status) == ("temporary_failure", None)
    # Only the origin: the path, query and credentials may be the webhook's token.
    assert delivery.error.startswith("could not reach http://127.0.0.1:9/…: ")
    assert not [s for s in ("hunter2", "XyZsecret", "tok3n", "/hook") if s in delivery.error]
    assert channel.notifications.get().processed_at is None


def test_a_notification_fails_for_good_after_the_last_attempt(db):
    channel = webhook_channel("http://127.0.0.1:9/hook")
    firing_cpu([channel])
    notification = Notification.objects.get()
    Notification.objects.filter(pk=notification.pk).update(attempts=Notification.MAX_ATTEMPTS - 1)

    dispatch_notifications(NOW)

    notification.refresh_from_db()
    assert (notification.outcome, notification.processed_at) == ("failed", NOW)
    channel.refresh_from_db()
    assert channel.disabled_reason == ""  # temporary trouble never disables a channel


def test_the_notifier_raises_notifier_error_with_permanence_and_status(receiver):
    hook = serve_webhook(statuses=[400])
    try:
        channel = NotificationChannel(name="x", kind="webhook", url=hook.url)
        with pytest.raises(NotifierError) as caught:
            WebhookNotifier(channel).notify(Notification(payload={"version": "4"}))
    finally:
        hook.server.shutdown()
        hook.server.server_close()
    assert (caught.value.permanent, caught.value.http_status) == (True, 400)


def test_a_claimed_notification_cannot_be_claimed_again_until_the_claim_expires(db):
    channel = webhook_channel("http://127.0.0.1:9/hook")
    firing_cpu([channel])
    pk = Notification.objects.get().pk

    assert claim_notification(pk, NOW) is True
    assert claim_notification(pk, NOW + MINUTE) is False
    assert claim_notification(pk, NOW + dt.timedelta(seconds=Notification.CLAIM_SECONDS + 1)) is True


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_at_once_send_each_notification_once():
    forget_caches()
    hook = serve_webhook(delay_seconds=0.3)
    try:
        channel = webhook_channel(hook.url)
        for host in ("web-1", "web-2", "web-3"):
            store([95.0], labels={"host": host})
        make_rule(group_by=["host"], channels=[channel])
        evaluate_alert_rules(NOW)
        results, start = [], threading.Barrier(2)

        def dispatcher():
            start.wait()
            try:
                results.append(dispatch_notifications(NOW))
            finally:
                connection.close()

        threads = [threading.Thread(target=dispatcher) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        hook.server.shutdown()
        hook.server.server_close()

    assert sum(r["ok"] for r in results) == 3
    assert sorted(r["body"]["groupLabels"]["host"] for r in hook.received) == ["web-1", "web-2", "web-3"]
    assert Delivery.objects.count() == 3
    assert set(Notification.objects.values_list("outcome", flat=True)) == {"sent"}
