"""Scrape targets that need credentials: Basic from the URL's userinfo, Bearer
from TSMON_SCRAPE_TOKENS_DIR; neither ever in a log, an error or a label."""

import base64
import datetime as dt
import logging

import pytest
from django.utils import timezone

from ingestion import scrape
from ingestion.models import ScrapeTarget
from ingestion.scrape import scrape_due_targets

from .http_stub import StubServer
from .write_helpers import fresh_caches, stored_points  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

PAGE = (200, b"node_load1 0.5\n", "text/plain")
PASSWORD = "s3cret/p@ss"
QUOTED_PASSWORD = "s3cret%2Fp%40ss"


@pytest.fixture(autouse=True)
def local_targets_allowed(settings):
    scrape._settings_last_scrape.clear()
    # The exporters are real servers on 127.0.0.1, which core.outbound refuses by default.
    settings.TSMON_OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.TSMON_SCRAPE_TOKENS_DIR = None


def with_userinfo(url: str) -> str:
    return url.replace("http://", f"http://prom:{QUOTED_PASSWORD}@")


def authorization_sent(stub) -> str:
    return stub.requests[-1][2].get("Authorization", "")


def test_userinfo_in_the_url_is_sent_as_basic_auth_and_shown_nowhere(caplog):
    with StubServer([PAGE]) as stub, caplog.at_level(logging.DEBUG):
        ScrapeTarget.objects.create(name="node", url=with_userinfo(f"{stub.url}/metrics"))
        (report,) = scrape_due_targets(timezone.now())

    assert report.up and report.written == 3
    assert authorization_sent(stub) == "Basic " + base64.b64encode(f"prom:{PASSWORD}".encode()).decode()
    assert report.url == f"{stub.url}/metrics"
    instance = stub.url.removeprefix("http://")
    assert f'node_load1{{instance="{instance}",job="node"}}' in {key for key, _, _ in stored_points()}
    for text in (caplog.text, repr(report), *(key for key, _, _ in stored_points())):
        assert QUOTED_PASSWORD not in text and PASSWORD not in text


def test_a_failing_target_with_credentials_logs_and_stores_its_error_without_them(caplog):
    with StubServer([(401, b"bad credentials for prom", "text/plain")]) as stub:
        target = ScrapeTarget.objects.create(name="node", url=with_userinfo(f"{stub.url}/metrics?x=1"))
        with caplog.at_level(logging.DEBUG):
            (report,) = scrape_due_targets(timezone.now())

    target.refresh_from_db()
    assert not report.up and target.last_error == "HTTP 401"
    assert f"scrape of node ({stub.url}/metrics?…) failed: HTTP 401" in caplog.text
    assert QUOTED_PASSWORD not in caplog.text and "prom" not in caplog.text


def test_a_token_file_named_after_the_job_is_sent_as_a_bearer_token_and_read_at_every_scrape(
    tmp_path, settings
):
    settings.TSMON_SCRAPE_TOKENS_DIR = str(tmp_path)
    settings.TSMON_SCRAPE_INTERVAL_SECONDS = 1
    (tmp_path / "node").write_text("first-token\n")
    now = timezone.now()
    with StubServer([PAGE]) as stub:
        settings.TSMON_SCRAPE_TARGETS = [f"node={stub.url}/node", f"other={stub.url}/other"]
        scrape_due_targets(now)
        (tmp_path / "node").write_text("rotated-token\n")
        scrape_due_targets(now + dt.timedelta(seconds=1))

    sent = sorted((path, headers.get("Authorization")) for _, path, headers, _ in stub.requests)
    assert sent == [
        ("/node", "Bearer first-token"),
        ("/node", "Bearer rotated-token"),
        ("/other", None),
        ("/other", None),
    ]


def test_a_user_name_and_a_token_for_one_target_is_an_error_saying_so(tmp_path, settings):
    settings.TSMON_SCRAPE_TOKENS_DIR = str(tmp_path)
    (tmp_path / "node").write_text("token")
    with StubServer([PAGE]) as stub:
        ScrapeTarget.objects.create(name="node", url=with_userinfo(stub.url))
        (report,) = scrape_due_targets(timezone.now())

    assert not report.up and stub.requests == []
    assert "give one of them" in report.error


def test_a_job_name_is_never_read_as_a_path(tmp_path, settings):
    (tmp_path / "tokens").mkdir()
    (tmp_path / "secret").write_text("not a scrape token")
    settings.TSMON_SCRAPE_TOKENS_DIR = str(tmp_path / "tokens")
    with StubServer([PAGE]) as stub:
        ScrapeTarget.objects.create(name="../secret", url=stub.url)
        scrape_due_targets(timezone.now())

    assert authorization_sent(stub) == ""
