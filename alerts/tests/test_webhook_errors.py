"""A receiver's answer never carries its webhook's secret into a delivery error or the log.

Receivers often echo the path they were called on (`Cannot POST
/hook/SECRET`), and delivery errors are readable with the read scope; the
receiver here is a real HTTP server that echoes its secret path in its
status line and its body.
"""

import importlib
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection
from rest_framework.test import APIClient

from alerts.jobs import dispatch_notifications, evaluate_alert_rules
from alerts.models import Delivery, Notification
from alerts.tests.alert_helpers import NOW, forget_caches, make_rule, store, webhook_channel
from ingestion.models import ApiKey

SECRET = "SECRET-TOKEN-123"


@pytest.fixture(autouse=True)
def _setup(db, settings):
    forget_caches()
    # The receiver is a real server on 127.0.0.1, which core.outbound refuses by default.
    settings.TSMON_OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]


class EchoingReceiver:
    """Answers `status` to every POST, quoting the request's path in its reason and body."""

    def __init__(self, status: int):
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                self.send_response(status, f"Cannot POST {self.path}")
                body = f"<pre>Cannot POST {self.path}?user=ops:{SECRET}</pre>".encode()
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook/{SECRET}?token={SECRET}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize(("status", "phrase"), [(404, "Not Found"), (500, "Internal Server Error")])
def test_the_delivery_error_keeps_the_status_and_origin_but_no_word_of_the_answer(status, phrase, caplog):
    receiver = EchoingReceiver(status)
    try:
        channel = webhook_channel(receiver.url)
        store([95.0])
        make_rule(channels=[channel])
        evaluate_alert_rules(NOW)
        with caplog.at_level(logging.INFO):
            dispatch_notifications(NOW)
    finally:
        receiver.close()
    reader = APIClient(HTTP_AUTHORIZATION=f"Bearer {ApiKey.issue('dash', ['read'])[1]}")

    listed = reader.get("/api/v1/deliveries")

    port = receiver.server.server_port
    assert listed.status_code == 200
    assert listed.data["results"][0]["error"] == f"HTTP {status} {phrase} from http://127.0.0.1:{port}/…"
    assert listed.data["results"][0]["http_status"] == status
    assert SECRET not in listed.content.decode()
    assert SECRET not in caplog.text and "Cannot POST" not in caplog.text
    channel.refresh_from_db()
    assert SECRET not in channel.disabled_reason
    assert Delivery.objects.filter(error__contains=SECRET).count() == 0


def test_errors_stored_before_the_fix_lose_the_answer_and_the_url(db):
    scrub = importlib.import_module("analytics.migrations.0006_scrub_webhook_secrets").scrub
    channel = webhook_channel(f"https://hooks.example/hook/{SECRET}")
    store([95.0])
    make_rule(channels=[channel])
    evaluate_alert_rules(NOW)
    notification = Notification.objects.get()
    channel.disable(f"HTTP 404: Cannot POST /hook/{SECRET}\nat line 2", NOW)
    old_errors = [
        f"HTTP 500: <pre>Cannot POST /hook/{SECRET}</pre>",
        f"could not reach https://ops:{SECRET}@hooks.example:8443/hook/{SECRET}?t={SECRET}: timed out",
        "could not reach http://127.0.0.1:9/…: [Errno 111] Connection refused",
        "HTTP 503 Service Unavailable from https://hooks.example/…",
    ]
    for error in old_errors:
        Delivery.objects.create(
            notification=notification,
            channel=channel,
            attempted_at=NOW,
            duration_ms=1.0,
            outcome="temporary_failure",
            error=error,
        )

    with connection.cursor() as cursor:
        scrub(cursor)

    assert list(Delivery.objects.order_by("id").values_list("error", flat=True)) == [
        "HTTP 500",
        "could not reach https://hooks.example:8443/…: timed out",
        "could not reach http://127.0.0.1:9/…: [Errno 111] Connection refused",
        "HTTP 503 Service Unavailable from https://hooks.example/…",
    ]
    channel.refresh_from_db()
    assert channel.disabled_reason == "HTTP 404"
