"""The real Prometheus programs against a real tsmon: remote write and scraping.

Debian's `prometheus` scrapes Debian's `prometheus-node-exporter` (and
itself) every second and remote-writes to tsmon under gunicorn; tsmon
scrapes the same node_exporter. `.ci/run` installs both packages; without
them these tests are skipped, saying so (but not under CI, which must run them).

- Remote write: Prometheus' own counters show no failed sample, and every
  finite sample Prometheus holds up to the newest one it has sent is
  stored in tsmon, and nothing else.
- Scraping: a node_exporter page, which has labels with empty values
  (node_os_info, node_disk_info), is stored with no sample refused.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import NamedTuple

import pytest
from django.utils import timezone

from alerts.choices import AlertState, RuleKind
from alerts.jobs import evaluate_alert_rules
from alerts.models import Alert, AlertRule
from bench.harness import free_port
from core.processes import stop_process
from core.scopes import ApiScope
from ingestion.models import ApiKey, ScrapeTarget, Series
from ingestion.scrape import scrape_due_targets

from .write_helpers import stored_points

PROMETHEUS = shutil.which("prometheus")
NODE_EXPORTER = shutil.which("prometheus-node-exporter")

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.programs,
    pytest.mark.skipif(
        not (PROMETHEUS and NODE_EXPORTER) and not os.environ.get("CI"),
        reason="needs Debian's prometheus and prometheus-node-exporter (apt-get install them; .ci/run does)",
    ),
]


@pytest.fixture
def node_exporter(tmp_path):
    port = free_port()
    # A fixed, small set of collectors: the page stays the same size from run to run.
    command = [NODE_EXPORTER, f"--web.listen-address=127.0.0.1:{port}", "--collector.disable-defaults"]
    command += [f"--collector.{name}" for name in ("cpu", "diskstats", "loadavg", "meminfo", "os", "uname")]
    with running(command, tmp_path / "node_exporter.log") as process:
        wait_for(lambda: fetch(f"http://127.0.0.1:{port}/metrics"), "node_exporter to answer")
        yield NodeExporter(f"127.0.0.1:{port}", process)


class NodeExporter(NamedTuple):
    address: str
    process: subprocess.Popen


@pytest.fixture
def prometheus(tmp_path, live_gunicorn, node_exporter):
    key = ApiKey.issue("prometheus", [ApiScope.WRITE])[1]
    port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        json.dumps(  # JSON is YAML
            {
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                "scrape_configs": [
                    {"job_name": "node", "static_configs": [{"targets": [node_exporter.address]}]},
                    {"job_name": "prometheus", "static_configs": [{"targets": [f"127.0.0.1:{port}"]}]},
                ],
                "remote_write": [
                    {
                        "url": f"{live_gunicorn}/api/v1/prom/write",
                        "authorization": {"credentials": key},
                        # One shard sends in order: what is sent up to a time is all there is.
                        "queue_config": {"min_shards": 1, "max_shards": 1, "batch_send_deadline": "1s"},
                    }
                ],
            }
        )
    )
    command = [
        PROMETHEUS,
        f"--config.file={config}",
        f"--storage.tsdb.path={tmp_path / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    with running(command, tmp_path / "prometheus.log"):
        yield f"http://127.0.0.1:{port}"


def test_prometheus_remote_write_fails_no_sample_and_stores_every_finite_one(prometheus):
    wait_for(lambda: counter(prometheus, "prometheus_remote_storage_samples_total") > 3000, "samples sent")
    sent_up_to = counter(prometheus, "prometheus_remote_storage_queue_highest_sent_timestamp_seconds")

    assert counter(prometheus, "prometheus_remote_storage_samples_failed_total") == 0
    held = finite_samples_held(prometheus, sent_up_to)

    def stored() -> set[tuple[str, float]]:
        return {(key, ts.timestamp()) for key, ts, _ in stored_points() if ts.timestamp() <= sent_up_to}

    # Prometheus may count a batch as sent while tsmon's answer to it is on its way.
    wait_for(lambda: stored() >= held, "the batches sent to be stored", timeout=30)
    assert len(held) > 1000
    assert stored() == held


def test_a_target_that_goes_away_ends_its_series_and_a_no_data_rule_fires(prometheus, node_exporter):
    wait_for(lambda: Series.objects.filter(metric="node_load1").exists(), "node_load1 to arrive")
    rule = AlertRule.objects.create(
        name="NodeGone", kind=RuleKind.NO_DATA, selector='node_load1{job="node"}', window_seconds=600
    )

    stop_process(node_exporter.process)  # Prometheus' next scrape fails: staleness markers follow

    wait_for(lambda: Series.objects.filter(metric="node_load1", ended_at__isnull=False).exists(), "the end")
    evaluate_alert_rules(timezone.now())
    # Well within the rule's 10-minute window, the series has ended: no data.
    assert Alert.objects.get(rule=rule).state == AlertState.FIRING
    assert counter(prometheus, "prometheus_remote_storage_samples_failed_total") == 0


def test_a_node_exporter_page_is_scraped_with_no_sample_refused(settings, node_exporter):
    settings.TSMON_OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    ScrapeTarget.objects.create(name="node", url=f"http://{node_exporter.address}/metrics")

    (report,) = scrape_due_targets(timezone.now())

    assert report.up and report.error == ""
    assert (report.refused, report.errors) == (0, [])
    assert report.written > 100
    # node_os_info's empty labels (build_id, variant...) are left out, the others kept.
    [os_info] = Series.objects.filter(metric="node_os_info")
    assert "" not in os_info.labels.values() and os_info.labels["job"] == "node"


def finite_samples_held(prometheus: str, until: float) -> set[tuple[str, float]]:
    """Every finite sample Prometheus holds up to `until`, as (tsmon series key, seconds)."""
    query = urllib.parse.urlencode({"query": '{__name__=~".+"}[10m]', "time": f"{until:.3f}"})
    answer = json.loads(fetch(f"{prometheus}/api/v1/query?{query}"))
    held = set()
    for series in answer["data"]["result"]:
        labels = dict(series["metric"])
        key = Series.make_key(labels.pop("__name__"), labels)
        held |= {(key, float(ts)) for ts, value in series["values"] if math.isfinite(float(value))}
    return held


def counter(prometheus: str, name: str) -> float:
    """The sum of a metric over its label sets on Prometheus' own /metrics page."""
    total = 0.0
    for line in fetch(f"{prometheus}/metrics").splitlines():
        if line.startswith(name) and line[len(name) : len(name) + 1] in ("{", " "):
            total += float(line.rsplit(" ", 1)[1])
    return total


def fetch(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.read().decode()
    except OSError:
        return ""


def wait_for(condition, what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError(f"gave up waiting for {what}")


class running:
    """Run a program for the length of a `with`, its output in `log`."""

    def __init__(self, command: list[str], log: Path):
        self.command, self.log = command, log

    def __enter__(self):
        self.output = self.log.open("wb")
        self.process = subprocess.Popen(self.command, stdout=self.output, stderr=subprocess.STDOUT)
        return self.process

    def __exit__(self, *exc):
        stop_process(self.process)
        self.output.close()
