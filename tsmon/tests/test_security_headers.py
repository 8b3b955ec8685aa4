"""Every response carries the security headers; the API docs need no CDN."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from reports.models import Report, ReportStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client):
    get_user_model().objects.create_user("alice", password="pw-for-tests-only")
    client.login(username="alice", password="pw-for-tests-only")
    return client


def policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


@pytest.mark.parametrize("path", ["/", "/series/", "/anomalies/", "/reports/", "/api/v1/series", "/healthz"])
def test_pages_and_api_send_a_strict_policy(signed_in, path):
    response = signed_in.get(path)
    assert response.status_code == 200
    rules = policy(response)
    assert rules["script-src"] == "'self'"
    assert rules["object-src"] == "'none'"
    assert rules["frame-ancestors"] == "'none'"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_the_login_page_has_no_inline_script(client):
    response = client.get("/accounts/login/")
    assert not re.search(rb"<script(?![^>]*\bsrc=)", response.content)


def test_the_api_docs_load_their_scripts_from_tsmon_itself(signed_in):
    page = signed_in.get("/api/docs/")
    assert page.status_code == 200
    sources = re.findall(rb'<(?:script|link)[^>]*(?:src|href)="([^"]+)"', page.content)
    assert sources and all(s.startswith(b"/") for s in sources), sources
    assert not re.search(rb"<script(?![^>]*\bsrc=)", page.content)
    script = signed_in.get(next(s for s in sources if b"script" in s).decode())
    assert script.status_code == 200
    assert b"SwaggerUIBundle" in script.content


def test_the_report_document_may_be_framed_by_its_own_page_only(signed_in):
    now = timezone.now()
    report = Report.objects.create(
        kind="anomaly", period_start=now, period_end=now, status=ReportStatus.DONE, html="<p>ok</p>"
    )
    document = signed_in.get(f"/reports/{report.pk}/document")
    assert document.status_code == 200
    assert policy(document)["frame-ancestors"] == "'self'"
    page = signed_in.get(f"/reports/{report.pk}/")
    assert policy(page)["frame-ancestors"] == "'none'"
    assert b'id="report"' in page.content
    assert not re.search(rb"<script(?![^>]*\bsrc=)", page.content)
