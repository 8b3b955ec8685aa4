"""Where webhooks and scrapes may go: http(s) to public addresses, or to the
networks TSMON_OUTBOUND_ALLOWED_NETWORKS lists; checked on save, and again
on every connection; redirects on the same host only.

The receivers are real HTTP servers on 127.0.0.x; only name resolution is
replaced, where a test needs a name to change its address (DNS rebinding).
"""

import datetime as dt
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from alerts.admin import NotificationChannelForm
from alerts.jobs import dispatch_notifications, evaluate_alert_rules
from alerts.models import Delivery, NotificationChannel
from alerts.tests.alert_helpers import NOW, forget_caches, make_rule, serve_webhook, store, webhook_channel
from core import outbound
from ingestion import scrape
from ingestion.admin import ScrapeTargetForm
from ingestion.models import ApiKey, ScrapeTarget
from ingestion.scrape import scrape_due_targets
from tsmon.env import ConfigError, env_networks

pytestmark = pytest.mark.django_db(transaction=True)

REFUSED_URLS = {
    "ftp": ("ftp://files.example.com/hook", "only http and https URLs are allowed, not 'ftp'"),
    "loopback": ("http://127.0.0.1:8000/hook", "127.0.0.1 is a loopback address"),
    "localhost": ("http://localhost:8000/hook", "localhost (127.0.0.1) is a loopback address"),
    "metadata": ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
    "private": ("https://10.1.2.3/hook", "10.1.2.3 is a private address"),
    "ipv6 loopback": ("http://[::1]:8000/hook", "::1 is a loopback address"),
    "ipv4 in ipv6": ("http://[::ffff:169.254.169.254]/", "is a link-local address"),
    "unspecified": ("http://0.0.0.0:8000/hook", "0.0.0.0 is an unspecified address"),
}


@pytest.fixture(autouse=True)
def _clean_caches(settings):
    forget_caches()
    scrape._settings_last_scrape.clear()
    settings.TSMON_OUTBOUND_ALLOWED_NETWORKS = []


@pytest.fixture
def admin():
    return APIClient(HTTP_AUTHORIZATION=f"Bearer {ApiKey.issue('ops', ['admin'])[1]}")


@pytest.fixture
def receiver():
    hook = serve_webhook()
    yield hook
    hook.server.shutdown()
    hook.server.server_close()


def create_channel(client, url: str):
    return client.post(
        "/api/v1/notification-channels", {"name": "hook", "kind": "webhook", "url": url}, format="json"
    )


def notify_once(channel) -> Delivery:
    store([95.0])
    make_rule(channels=[channel])
    evaluate_alert_rules(NOW)
    dispatch_notifications(NOW)
    return Delivery.objects.get()


@pytest.mark.parametrize(("url", "reason"), REFUSED_URLS.values(), ids=REFUSED_URLS)
def test_a_channel_to_a_scheme_or_address_tsmon_refuses_is_a_400_naming_the_url(admin, url, reason):
    response = create_channel(admin, url)

    assert response.status_code == 400
    assert list(response.data) == ["url"] and reason in response.data["url"][0]
    assert not NotificationChannel.objects.exists()


ADMIN_FORMS = {
    "scrape target": lambda url: ScrapeTargetForm(
        {"name": "node", "url": url, "interval_seconds": 60, "labels": "{}"}
    ),
    "channel": lambda url: NotificationChannelForm(
        {
            "name": "hook",
            "kind": "webhook",
            "url": url,
            "addresses": "[]",
            "message_format": "markdown",
            "created_at": "2026-12-01 12:00",
        }
    ),
}


@pytest.mark.parametrize("make_form", ADMIN_FORMS.values(), ids=ADMIN_FORMS)
@pytest.mark.parametrize(("url", "reason"), REFUSED_URLS.values(), ids=REFUSED_URLS)
def test_a_destination_tsmon_refuses_is_an_error_on_its_url_in_the_admin(url, reason, make_form):
    form = make_form(url)

    assert not form.is_valid() and reason in form.errors["url"][0]


@pytest.mark.parametrize("make_form", ADMIN_FORMS.values(), ids=ADMIN_FORMS)
def test_an_allowed_destination_passes_the_admin(make_form, settings):
    settings.TSMON_OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]

    form = make_form("http://127.0.0.1:9100/metrics")

    assert form.is_valid(), form.errors


def test_an_allowed_network_may_be_reached(admin, receiver, settings):
    settings.TSMON_OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]

    response = create_channel(admin, receiver.url)
    delivery = notify_once(NotificationChannel.objects.get())

    assert response.status_code == 201
    assert (delivery.outcome, delivery.http_status) == ("ok", 200) and len(receiver.received) == 1


def test_a_channel_saved_before_the_rule_is_refused_when_sending_and_disabled(receiver):
    channel = webhook_channel(receiver.url)  # straight into the database, as an old row

    delivery = notify_once(channel)

    assert receiver.received == []
    assert delivery.outcome == "permanent_failure"
    assert "127.0.0.1 is a loopback address" in delivery.error
    channel.refresh_from_db()
    assert channel.disabled_reason == delivery.error


def test_a_name_that_points_elsewhere_when_sending_is_checked_again(admin, receiver, monkeypatch):
    port = receiver.server.server_port
    addresses = {"hooks.example": "93.184.216.34"}  # public when the channel is saved
    monkeypatch.setattr(
        outbound,
        "resolve",
        lambda host, port: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (addresses[host], port))],
    )
    assert create_channel(admin, f"http://hooks.example:{port}/hook").status_code == 201

    addresses["hooks.example"] = "127.0.0.1"  # then rebound to where the receiver listens
    delivery = notify_once(NotificationChannel.objects.get())

    assert receiver.received == []
    assert "hooks.example (127.0.0.1) is a loopback address" in delivery.error


class Exporter:
    """A real exporter on `host`: /metrics is a page; any other path redirects to `location`."""

    def __init__(self, host: str, location: str = ""):
        self.paths = []
        exporter = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                exporter.paths.append(self.path)
                if self.path == "/metrics":
                    self.send_response(200)
                    body = b"met 1\n"
                else:
                    self.send_response(302)
                    self.send_header("Location", exporter.location)
                    body = b""
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.url = f"http://{host}:{self.server.server_port}"
        self.location = location or f"{self.url}/metrics"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def test_a_scrape_follows_a_redirect_on_the_same_host(settings):
    settings.TSMON_OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    with Exporter("127.0.0.1") as exporter:
        ScrapeTarget.objects.create(name="node", url=f"{exporter.url}/old")

        (report,) = scrape_due_targets(timezone.now())

    assert report.up and exporter.paths == ["/old", "/metrics"]


def test_a_scrape_does_not_follow_a_redirect_to_another_host(settings):
    settings.TSMON_OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    with Exporter("127.0.0.2") as elsewhere, Exporter("127.0.0.1") as exporter:
        exporter.location = f"{elsewhere.url}/metrics"
        ScrapeTarget.objects.create(name="node", url=f"{exporter.url}/old")

        (report,) = scrape_due_targets(timezone.now())

    assert not report.up and elsewhere.paths == []
    assert report.error == (
        f"not scraped: {exporter.url}/… redirected to {elsewhere.url}/…: tsmon follows redirects on the same host only"
    )


def test_a_scrape_target_in_settings_is_refused_on_a_loopback_address_unless_allowed(settings):
    with Exporter("127.0.0.1") as exporter:
        settings.TSMON_SCRAPE_TARGETS = [f"node={exporter.url}/metrics"]
        (refused,) = scrape_due_targets(timezone.now())
        settings.TSMON_OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
        settings.TSMON_SCRAPE_INTERVAL_SECONDS = 1
        (allowed,) = scrape_due_targets(timezone.now() + dt.timedelta(seconds=1))

    assert not refused.up and "127.0.0.1 is a loopback address" in refused.error
    assert allowed.up and exporter.paths == ["/metrics"]


def test_allowed_networks_come_from_the_environment_and_a_bad_one_names_the_variable(monkeypatch):
    monkeypatch.setenv("TSMON_OUTBOUND_ALLOWED_NETWORKS", "127.0.0.1/32, 10.0.0.0/8,::1")
    assert [str(n) for n in env_networks("TSMON_OUTBOUND_ALLOWED_NETWORKS", [])] == [
        "127.0.0.1/32",
        "10.0.0.0/8",
        "::1/128",
    ]

    monkeypatch.setenv("TSMON_OUTBOUND_ALLOWED_NETWORKS", "10.0.0.1/8")
    with pytest.raises(
        ConfigError, match="TSMON_OUTBOUND_ALLOWED_NETWORKS: '10.0.0.1/8' is not an IP network"
    ):
        env_networks("TSMON_OUTBOUND_ALLOWED_NETWORKS", [])
