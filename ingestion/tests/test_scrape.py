"""Prometheus scraping from a real HTTP server on 127.0.0.1."""

import datetime as dt
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import override_settings
from django.utils import timezone

from ingestion import scrape
from ingestion.models import ScrapeTarget
from ingestion.scrape import scrape_due_targets

from .http_stub import StubServer, unused_url
from .write_helpers import fresh_caches, stored_points  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

PAGE = b"""# HELP node_load1 1m load average.
# TYPE node_load1 gauge
node_load1 0.75
# TYPE http_requests_total counter
http_requests_total{code="200",job="app"} 1027
rpc_duration_seconds{quantile="0.5"} NaN
broken{x=y} 1
"""
EXPOSITION = (200, PAGE, "text/plain; version=0.0.4; charset=utf-8")


@pytest.fixture(autouse=True)
def forget_settings_targets():
    scrape._settings_last_scrape.clear()
    yield


@pytest.fixture(autouse=True)
def local_targets_allowed(settings):
    # The exporters are real servers on 127.0.0.1, which core.outbound refuses by default.
    settings.TSMON_OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]


def points_by_metric():
    return {key: value for key, _, value in stored_points()}


def test_a_due_database_target_is_scraped_with_job_and_instance_labels():
    now = timezone.now()
    with StubServer([EXPOSITION]) as stub:
        target = ScrapeTarget.objects.create(name="node", url=f"{stub.url}/metrics", labels={"env": "test"})
        instance = stub.url.removeprefix("http://")

        (report,) = scrape_due_targets(now)

    assert report.up and report.written == 4 and report.refused == 1
    points = points_by_metric()
    labels = f'env="test",instance="{instance}",job="node"'
    assert points[f"node_load1{{{labels}}}"] == 0.75
    assert (
        points[
            f'http_requests_total{{code="200",env="test",exported_job="app",instance="{instance}",job="node"}}'
        ]
        == 1027
    )
    assert points[f"up{{{labels}}}"] == 1.0
    assert f"scrape_duration_seconds{{{labels}}}" in points
    assert not any(key.startswith("rpc_duration_seconds") for key in points)  # NaN skipped
    assert stored_points()[0][1] == now  # samples without a timestamp get the scrape time
    target.refresh_from_db()
    assert target.last_scrape_at == now and target.last_duration_ms > 0
    assert target.last_error.startswith("1 line(s) refused; line 7: not a Prometheus sample line")
    assert stub.requests[0][2]["Accept"].startswith("text/plain;version=0.0.4")


def test_a_target_is_not_scraped_again_before_its_interval():
    now = timezone.now()
    with StubServer([EXPOSITION]) as stub:
        ScrapeTarget.objects.create(name="node", url=stub.url, interval_seconds=30)
        ScrapeTarget.objects.create(name="off", url=stub.url, enabled=False)
        scrape_due_targets(now)

        assert scrape_due_targets(now + dt.timedelta(seconds=29)) == []
        assert len(scrape_due_targets(now + dt.timedelta(seconds=30))) == 1

    assert len(stub.requests) == 2


@pytest.mark.parametrize("answer", [(500, b"oops", "text/plain"), None])
def test_an_unreachable_or_failing_target_records_the_error_and_up_zero(answer):
    now = timezone.now()
    if answer is None:
        target = ScrapeTarget.objects.create(name="gone", url=unused_url())
        (report,) = scrape_due_targets(now)
    else:
        with StubServer([answer]) as stub:
            target = ScrapeTarget.objects.create(name="gone", url=stub.url)
            (report,) = scrape_due_targets(now)

    assert not report.up
    target.refresh_from_db()
    assert target.last_error and target.last_scrape_at == now
    up = [value for key, _, value in stored_points() if key.startswith("up{")]
    assert up == [0.0]


def test_targets_from_settings_are_scraped_on_their_interval():
    now = timezone.now()
    with StubServer([EXPOSITION]) as stub:
        with override_settings(
            TSMON_SCRAPE_TARGETS=[f"app={stub.url}/metrics", stub.url + "/other"],
            TSMON_SCRAPE_INTERVAL_SECONDS=60,
        ):
            reports = scrape_due_targets(now)
            again = scrape_due_targets(now + dt.timedelta(seconds=10))

    assert [(r.job, r.up) for r in reports] == [("app", True), ("scrape", True)]
    assert again == []


def test_an_oversize_page_is_a_scrape_error():
    with StubServer([(200, b"m 1\n" * 1000, "text/plain")]) as stub:
        ScrapeTarget.objects.create(name="big", url=stub.url)
        with override_settings(TSMON_MAX_BODY_BYTES=100):
            (report,) = scrape_due_targets(timezone.now())

    assert not report.up and "over the limit of 100 bytes" in report.error


class MeetingPoint:
    """Exporters that answer only once all of them have been asked: scraped
    one after another, the first would wait for a second request that never
    comes (and time out); scraped at once, all answer."""

    def __init__(self, n: int):
        barrier = threading.Barrier(n, timeout=5)

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                try:
                    barrier.wait()
                    status, page = 200, f"met {self.server.server_address[1]}\n".encode()
                except threading.BrokenBarrierError:
                    status, page = 503, b""
                self.send_response(status)
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args):
                pass

        self.servers = [ThreadingHTTPServer(("127.0.0.1", 0), Handler) for _ in range(n)]
        self.threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in self.servers]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return [f"http://127.0.0.1:{s.server_address[1]}" for s in self.servers]

    def __exit__(self, *exc):
        for server in self.servers:
            server.shutdown()
            server.server_close()


def test_due_targets_are_fetched_at_the_same_time_so_a_slow_one_delays_no_other():
    with MeetingPoint(3) as urls:
        for i, url in enumerate(urls):
            ScrapeTarget.objects.create(name=f"exporter-{i}", url=url)

        reports = scrape_due_targets(timezone.now())

    assert [(r.up, r.error) for r in reports] == [(True, "")] * 3
    assert sorted(k for k in points_by_metric() if k.startswith("met")) == sorted(
        f'met{{instance="{url.removeprefix("http://")}",job="exporter-{i}"}}' for i, url in enumerate(urls)
    )
