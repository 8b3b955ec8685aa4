"""Slack-compatible and DingTalk channels: the exact bodies a real local
receiver gets, DingTalk's signature and answers, and the 400s that name the field."""

import base64
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from rest_framework.test import APIClient

from alerts.jobs import dispatch_notifications, evaluate_alert_rules
from alerts.models import Alert, Delivery, NotificationChannel
from alerts.tests.alert_helpers import NOW, forget_caches, make_rule, store
from core.outbound import origin
from ingestion.models import ApiKey

SECRET = "SEC0123456789abcdef"
OK = b'{"errcode":0,"errmsg":"ok"}'


@pytest.fixture(autouse=True)
def _setup(db, settings):
    forget_caches()
    # The receivers are real servers on 127.0.0.1, which core.outbound refuses by default.
    settings.TSMON_OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.TSMON_PUBLIC_URL = "https://tsmon.example.com"


def serve_chat(answer=b"ok"):
    """A real HTTP receiver on 127.0.0.1 that records each request's path and raw body."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"path": self.path, "body": body, "type": self.headers["Content-Type"]})
            self.send_response(200)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return SimpleNamespace(base=f"http://127.0.0.1:{server.server_port}", received=received, server=server)


@pytest.fixture
def receiver(request):
    answer = getattr(request, "param", OK)
    chat = serve_chat(answer)
    yield chat
    chat.server.shutdown()
    chat.server.server_close()


def fire(channel, labels=None):
    """A CPU series at 95 and a rule that fires on it at NOW; returns the alert."""
    series = store([50.0] * 9 + [95.0])
    make_rule(channels=[channel], summary="CPU on {{ labels.host }} is {{ value }}%", labels=labels or {})
    evaluate_alert_rules(NOW)
    return Alert.objects.get(series=series)


def alert_lines(alert, labels="alertname=HighCPU, host=web-1, severity=warning"):
    return [
        "[FIRING] CPU on web-1 is 95%",
        "value: 95",
        f"labels: {labels}",
        "since: 2026-11-20T12:00:00Z",
        f"series: https://tsmon.example.com/api/v1/series/{alert.series_id}",
        f"alert: https://tsmon.example.com/api/v1/alerts/{alert.pk}",
    ]


def test_slack_gets_the_exact_mrkdwn_text_with_angle_brackets_escaped(receiver):
    channel = NotificationChannel.objects.create(
        name="chat", kind="slack", url=f"{receiver.base}/services/T/B/x"
    )
    # A label that Slack would otherwise read as a mention of everyone.
    alert = fire(channel, labels={"team": "<!channel> & co"})

    assert dispatch_notifications(NOW)["ok"] == 1

    (request,) = receiver.received
    assert request["path"] == "/services/T/B/x" and request["type"] == "application/json"
    labels = "alertname=HighCPU, host=web-1, severity=warning, team=&lt;!channel&gt; &amp; co"
    text = "*[FIRING:1] alertname=HighCPU*\n\n" + "\n".join(alert_lines(alert, labels))
    assert json.loads(request["body"]) == {"text": text}


def test_dingtalk_gets_the_exact_markdown_at_a_signed_url(receiver):
    url = f"{receiver.base}/robot/send?access_token=tok"
    channel = NotificationChannel.objects.create(name="dd", kind="dingtalk", url=url, secret=SECRET)
    alert = fire(channel)

    assert dispatch_notifications(NOW)["ok"] == 1

    (request,) = receiver.received
    parts = urlsplit(request["path"])
    query = parse_qs(parts.query)
    assert parts.path == "/robot/send" and query["access_token"] == ["tok"]
    (timestamp,) = query["timestamp"]
    digest = hmac.new(SECRET.encode(), f"{timestamp}\n{SECRET}".encode(), hashlib.sha256).digest()
    # The sign arrives URL-quoted: base64's + / = must not be read as a space or a separator.
    assert f"sign={quote(base64.b64encode(digest).decode(), safe='')}" in parts.query
    assert query["sign"] == [base64.b64encode(digest).decode()]
    subject = "[FIRING:1] alertname=HighCPU"
    assert json.loads(request["body"]) == {
        "msgtype": "markdown",
        "markdown": {"title": subject, "text": f"#### {subject}\n\n" + "  \n".join(alert_lines(alert))},
    }


def test_dingtalk_gets_plain_text_unsigned_without_a_secret(receiver):
    url = f"{receiver.base}/robot/send?access_token=tok"
    channel = NotificationChannel.objects.create(name="dd", kind="dingtalk", url=url, message_format="text")
    alert = fire(channel)

    dispatch_notifications(NOW)

    (request,) = receiver.received
    assert request["path"] == "/robot/send?access_token=tok"
    content = "[FIRING:1] alertname=HighCPU\n\n" + "\n".join(alert_lines(alert))
    assert json.loads(request["body"]) == {"msgtype": "text", "text": {"content": content}}


@pytest.mark.parametrize(
    "receiver",
    [b'{"errcode":310000,"errmsg":"sign not match, url /robot/send?access_token=tok"}'],
    indirect=True,
)
def test_a_dingtalk_refusal_in_a_200_disables_the_channel_without_its_words(receiver):
    url = f"{receiver.base}/robot/send?access_token=tok"
    channel = NotificationChannel.objects.create(name="dd", kind="dingtalk", url=url, secret=SECRET)
    fire(channel)

    dispatch_notifications(NOW)

    channel.refresh_from_db()
    assert channel.disabled_reason == f"DingTalk errcode 310000 from {origin(url)}"
    delivery = Delivery.objects.get()
    assert (delivery.outcome, delivery.error) == ("permanent_failure", channel.disabled_reason)


@pytest.mark.parametrize("receiver", [b'{"errcode":130101,"errmsg":"send too fast"}'], indirect=True)
def test_dingtalk_sending_too_fast_is_retried(receiver):
    url = f"{receiver.base}/robot/send?access_token=tok"
    channel = NotificationChannel.objects.create(name="dd", kind="dingtalk", url=url)
    fire(channel)

    assert dispatch_notifications(NOW)["temporary_failure"] == 1
    channel.refresh_from_db()
    assert channel.is_active


# -- saving channels ----------------------------------------------------------


@pytest.fixture
def admin(db):
    _, key = ApiKey.issue("ops", ["admin"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


DINGTALK = "https://oapi.dingtalk.com/robot/send?access_token=tok"


@pytest.mark.parametrize(
    ("channel", "field", "message"),
    [
        ({"kind": "dingtalk", "url": DINGTALK, "secret": "hunter2"}, "secret", "starts with SEC"),
        ({"kind": "slack", "url": "https://hooks.slack.com/x", "secret": SECRET}, "secret", "only DingTalk"),
        ({"kind": "slack", "url": "http://hooks.slack.com/services/x"}, "url", "https only"),
        ({"kind": "dingtalk", "url": "https://oapi.dingtalk.com/robot/send"}, "url", "access_token"),
        ({"kind": "slack"}, "url", "a slack channel needs a URL"),
        (
            {"kind": "dingtalk", "url": DINGTALK, "message_format": "html"},
            "message_format",
            "not a valid choice",
        ),
    ],
)
def test_a_bad_chat_channel_gets_a_400_naming_the_field(admin, channel, field, message):
    response = admin.post("/api/v1/notification-channels", {"name": "chat", **channel}, format="json")

    assert response.status_code == 400
    assert list(response.data) == [field] and message in str(response.data[field][0])
    assert not NotificationChannel.objects.exists()


def test_http_is_accepted_for_a_chat_server_in_an_allowed_network(admin):
    body = {"name": "mattermost", "kind": "slack", "url": "http://127.0.0.1:8065/hooks/x"}
    response = admin.post("/api/v1/notification-channels", body, format="json")

    assert response.status_code == 201, response.data


def test_the_dingtalk_secret_is_written_but_never_shown(admin):
    body = {"name": "dd", "kind": "dingtalk", "url": DINGTALK, "secret": SECRET}
    created = admin.post("/api/v1/notification-channels", body, format="json")

    assert created.status_code == 201, created.data
    assert "secret" not in created.data and created.data["has_secret"] is True
    assert created.data["message_format"] == "markdown"
    assert NotificationChannel.objects.get().secret == SECRET
    listed = admin.get("/api/v1/notification-channels")
    assert SECRET not in json.dumps(listed.json())


def test_the_admin_form_refuses_a_bad_dingtalk_secret_naming_the_field(admin_client):
    form = {
        "name": "dd",
        "kind": "dingtalk",
        "url": DINGTALK,
        "secret": "hunter2",
        "message_format": "markdown",
    }
    response = admin_client.post("/admin/alerts/notificationchannel/add/", {**form, "addresses": ""})

    assert response.status_code == 200  # the form again, with its errors
    assert "starts with SEC" in str(response.context["adminform"].form.errors["secret"])
    assert not NotificationChannel.objects.exists()
