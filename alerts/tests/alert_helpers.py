"""Builders for the alert tests: points, rules, channels, a webhook receiver."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

from alerts.models import AlertRule, NotificationChannel
from ingestion.models import Series
from ingestion.writer import write_samples
from tsmon.testing import forget_write_caches, make_samples

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)


def forget_caches() -> None:
    """The writer caches series ids and partitions; a rolled-back test must not reuse them."""
    forget_write_caches()


def store(values, metric="cpu_usage_percent", labels=None, end=NOW, step_seconds=60) -> Series:
    """Store points one `step_seconds` apart, the last one at `end`; return their series."""
    labels = labels if labels is not None else {"host": "web-1"}
    values = list(values)
    start = end - dt.timedelta(seconds=step_seconds * (len(values) - 1))
    write_samples(make_samples(metric, labels, start, len(values), step_seconds, values))
    return Series.objects.get(key=Series.make_key(metric, labels))


def make_rule(name="HighCPU", channels=(), **fields) -> AlertRule:
    defaults = {"kind": "threshold", "selector": "cpu_usage_percent", "operator": ">", "threshold": 90.0}
    rule = AlertRule.objects.create(name=name, **{**defaults, **fields})
    rule.channels.set(channels)
    return rule


def webhook_channel(url: str, name="ops-hook") -> NotificationChannel:
    return NotificationChannel.objects.create(name=name, kind="webhook", url=url)


def serve_webhook(statuses=(), delay_seconds=0.0):
    """A real HTTP receiver on 127.0.0.1: records each JSON body and answers
    with the next of `statuses` (200 once they run out)."""
    received, pending = [], list(statuses)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"body": json.loads(body), "headers": dict(self.headers)})
            time.sleep(delay_seconds)
            status = pending.pop(0) if pending else 200
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"ok" if status < 400 else b"go away")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/hook"
    return SimpleNamespace(url=url, received=received, server=server)
