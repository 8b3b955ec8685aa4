"""The Alertmanager channel: tsmon pushes alerts the way Prometheus does.

Against Debian's real `prometheus-alertmanager` (started here on a loopback
port of its own, clustering off): a firing alert appears in its
`/api/v2/alerts` with tsmon's labels and annotations, and is gone from the
active ones once tsmon resolves it. Without the program the test is skipped,
saying so (but not under CI, which installs it). The resend timing is
checked against a plain local receiver.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import subprocess
import time
import urllib.request

import pytest
from django.utils import timezone

from alerts.alertmanager_push import alerts_api_url
from alerts.jobs import dispatch_notifications, evaluate_alert_rules
from alerts.models import Alert, Notification, NotificationChannel, Silence
from alerts.tests.alert_helpers import (
    MINUTE,
    NOW,
    forget_caches,
    make_rule,
    serve_webhook,
    store,
    webhook_channel,
)
from bench.harness import free_port
from core.processes import stop_process

ALERTMANAGER = shutil.which("prometheus-alertmanager")
SECOND = dt.timedelta(seconds=1)


@pytest.fixture(autouse=True)
def _setup(db, settings):
    forget_caches()
    # The receivers are real servers on 127.0.0.1, which core.outbound refuses by default.
    settings.TSMON_OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.TSMON_PUBLIC_URL = "https://tsmon.example.com"
    settings.TSMON_ALERTMANAGER_RESEND_SECONDS = 60


@contextlib.contextmanager
def running_alertmanager(tmp_path):
    """Alertmanager on a free loopback port, its storage in `tmp_path`, no cluster; yields its URL."""
    port = free_port()
    config = tmp_path / "alertmanager.yml"
    config.write_text(json.dumps({"route": {"receiver": "nobody"}, "receivers": [{"name": "nobody"}]}))
    command = [
        ALERTMANAGER,
        f"--config.file={config}",
        f"--storage.path={tmp_path / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",  # empty: no gossip port, no peers
    ]
    url = f"http://127.0.0.1:{port}"
    with (tmp_path / "alertmanager.log").open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until_ready(url, process)
            yield url
        finally:
            stop_process(process)


def wait_until_ready(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"alertmanager exited with {process.returncode}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as response:
                if response.status == 200:
                    return
        time.sleep(0.2)
    raise AssertionError("gave up waiting for alertmanager to be ready")


def listed_alerts(url: str) -> list[dict]:
    with urllib.request.urlopen(f"{url}/api/v2/alerts", timeout=10) as response:
        return json.loads(response.read())


def parse_time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.mark.programs
@pytest.mark.skipif(
    not ALERTMANAGER and not os.environ.get("CI"),
    reason="needs Debian's prometheus-alertmanager (apt-get install it; .ci/run does)",
)
def test_a_real_alertmanager_shows_the_alert_and_resolves_it_with_tsmon(tmp_path):
    channel = NotificationChannel.objects.create(name="am", kind="alertmanager", url="http://placeholder")
    started = timezone.now()
    series = store([50.0] * 9 + [95.0], end=started)
    make_rule(channels=[channel], severity="critical", labels={"team": "web"}, summary="CPU {{ value }}%")

    with running_alertmanager(tmp_path) as url:
        NotificationChannel.objects.filter(pk=channel.pk).update(url=url)
        evaluate_alert_rules(started)
        assert dispatch_notifications(started)["ok"] == 1

        (shown,) = listed_alerts(url)
        assert shown["labels"] == {
            "alertname": "HighCPU",
            "severity": "critical",
            "team": "web",
            "host": "web-1",
            "tsmon_metric": "cpu_usage_percent",
            "tsmon_series": 'cpu_usage_percent{host="web-1"}',
        }
        alert = Alert.objects.get()
        assert shown["annotations"] == {
            "summary": "CPU 95%",
            "value": "95",
            "series": 'cpu_usage_percent{host="web-1"}',
            "series_url": f"https://tsmon.example.com/api/v1/series/{series.pk}",
            "alert_url": f"https://tsmon.example.com/api/v1/alerts/{alert.pk}",
        }
        assert shown["status"]["state"] == "active"
        assert shown["generatorURL"] == f"https://tsmon.example.com/api/v1/series/{series.pk}"
        assert abs(parse_time(shown["startsAt"]) - started) < SECOND
        # Four resend intervals ahead, as Prometheus sets it.
        assert abs(parse_time(shown["endsAt"]) - (started + 4 * MINUTE)) < SECOND

        time.sleep(1)  # the resolve time must be in Alertmanager's past when it arrives
        resolved = timezone.now()
        store([10.0], end=resolved)
        evaluate_alert_rules(resolved)
        assert dispatch_notifications(resolved)["ok"] == 1

        still_active = [a for a in listed_alerts(url) if parse_time(a["endsAt"]) > timezone.now()]
        assert still_active == []


def test_firing_alerts_are_re_sent_every_interval_and_resolved_once(settings):
    hook = serve_webhook()
    try:
        push = NotificationChannel.objects.create(name="am", kind="alertmanager", url=hook.url)
        other = webhook_channel(hook.url.replace("/hook", "/other"), name="hook")
        store([95.0])
        rule = make_rule(channels=[push, other])
        for seconds in (0, 30, 60, 90, 120):
            store([95.0], end=NOW + seconds * SECOND)
            evaluate_alert_rules(NOW + seconds * SECOND)
        # Acknowledged: the webhook hears no more, Alertmanager still does (else it would end the alert).
        Alert.objects.get().acknowledge("ops", NOW + 150 * SECOND)
        store([95.0], end=NOW + 180 * SECOND)
        evaluate_alert_rules(NOW + 180 * SECOND)
        store([10.0], end=NOW + 200 * SECOND)
        evaluate_alert_rules(NOW + 200 * SECOND)
        evaluate_alert_rules(NOW + 260 * SECOND)
        dispatch_notifications(NOW + 260 * SECOND)
    finally:
        hook.server.shutdown()
        hook.server.server_close()

    pushes = Notification.objects.filter(channel=push).order_by("created_at")
    assert [(n.created_at - NOW).seconds for n in pushes] == [0, 60, 120, 180, 200]
    ends = [n.payload["alerts"][0]["endsAt"] for n in pushes]
    assert ends == [
        "2026-11-20T12:04:00Z",
        "2026-11-20T12:05:00Z",
        "2026-11-20T12:06:00Z",
        "2026-11-20T12:07:00Z",
        "2026-11-20T12:03:20Z",  # resolved: the resolve time
    ]
    assert [n.status for n in pushes] == ["firing"] * 4 + ["resolved"]
    # Alertmanager gets the bare list its API takes.
    bodies = [r["body"] for r in hook.received]
    assert sum(isinstance(b, list) for b in bodies) == 5
    assert all(
        set(b[0]) == {"labels", "annotations", "startsAt", "endsAt", "generatorURL"}
        for b in bodies
        if isinstance(b, list)
    )
    # The webhook channel keeps its own rhythm: once firing (repeat interval 4 h), once resolved.
    assert [n.status for n in Notification.objects.filter(channel=other).order_by("created_at")] == [
        "firing",
        "resolved",
    ]
    assert rule.alerts.get().last_pushed_at == NOW + 200 * SECOND


def test_a_silenced_alert_is_not_pushed(db):
    channel = NotificationChannel.objects.create(name="am", kind="alertmanager", url="http://127.0.0.1:9/")
    Silence.objects.create(matchers='{alertname="HighCPU"}', starts_at=NOW - MINUTE, ends_at=NOW + MINUTE)
    store([95.0])
    make_rule(channels=[channel])

    evaluate_alert_rules(NOW)

    assert not Notification.objects.exists()


def test_the_api_url_is_found_under_the_channel_url():
    assert alerts_api_url("http://am:9093") == "http://am:9093/api/v2/alerts"
    assert alerts_api_url("http://am:9093/alertmanager/") == "http://am:9093/alertmanager/api/v2/alerts"
    assert alerts_api_url("http://am:9093/api/v2/alerts") == "http://am:9093/api/v2/alerts"
