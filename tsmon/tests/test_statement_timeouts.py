"""Every request and job has a statement timeout of its kind; past it, a 503 naming it.

A statement is made slow with pg_sleep inside a real read path, so the
timeout is PostgreSQL's own, cancelling a real statement.
"""

from __future__ import annotations

import pytest
from django.db import OperationalError, connection
from django.test import override_settings
from rest_framework.test import APIClient

from core import statement_timeouts
from core.schedule import default_jobs
from core.statement_timeouts import JOBS, is_statement_timeout, with_statement_timeout
from ingestion import label_queries, queries
from ingestion.models import ApiKey, Series
from web import series_queries

# Outside a test transaction, as requests run: in autocommit, where the limit is set.
pytestmark = pytest.mark.django_db(transaction=True)

ONE_SECOND = {
    "TSMON_STATEMENT_TIMEOUT_API_SECONDS": 1,
    "TSMON_STATEMENT_TIMEOUT_PAGES_SECONDS": 1,
    "TSMON_STATEMENT_TIMEOUT_JOBS_SECONDS": 1,
}


@pytest.fixture(autouse=True)
def fresh_timeouts(transactional_db):
    """Each test sets its limits anew, and leaves the connection without one."""
    statement_timeouts.forget_statement_timeout()
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")
    statement_timeouts.forget_statement_timeout()


@pytest.fixture
def reader(transactional_db):
    _, key = ApiKey.issue("reader", ["read"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    client.raise_request_exception = False
    return client


def sleeping(seconds: float, result):
    def run(*args, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(%s)", [seconds])
        return result

    return run


def current_timeout() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        return cursor.fetchone()[0]


def test_each_kind_of_request_runs_under_its_own_limit(reader, admin_client):
    with override_settings(TSMON_STATEMENT_TIMEOUT_API_SECONDS=7, TSMON_STATEMENT_TIMEOUT_PAGES_SECONDS=11):
        assert reader.get("/api/v1/labels").status_code == 200
        assert current_timeout() == "7s"
        assert admin_client.get("/series/").status_code == 200
        assert current_timeout() == "11s"


def test_api_writes_are_writes_and_pages_are_pages():
    from ingestion.api import JsonWriteView
    from ingestion.query_api import PointsView
    from tsmon.health import healthz

    class Request:
        method = "GET"

    write = type("Request", (), {"method": "POST"})()
    assert statement_timeouts.request_kind(Request(), PointsView.as_view()) == statement_timeouts.API
    assert statement_timeouts.request_kind(write, JsonWriteView.as_view()) == statement_timeouts.WRITES
    assert statement_timeouts.request_kind(Request(), healthz) == statement_timeouts.PAGES


@override_settings(**ONE_SECOND)
def test_an_api_read_past_its_limit_is_a_503_naming_it(reader, monkeypatch):
    monkeypatch.setattr(label_queries, "label_names", sleeping(3, []))

    response = reader.get("/api/v1/labels")

    assert response.status_code == 503
    assert response.json()["limit"] == "TSMON_STATEMENT_TIMEOUT_API_SECONDS"
    assert "longer than the limit of 1 s" in response.json()["detail"]


@override_settings(**ONE_SECOND)
def test_a_streamed_query_past_its_limit_is_a_503_before_any_point_is_sent(reader, monkeypatch):
    # The points of a downsampled read come by COPY, which passes no execute
    # wrapper: the limit must already hold for it.
    monkeypatch.setattr(
        queries,
        "CHUNKS_QUERY",
        "SELECT 1::bigint, now(), NULL::bigint, '{}'::bigint[], '{}'::float8[] FROM pg_sleep(3),"
        " (SELECT %s::bigint[], %s::timestamptz, %s::timestamptz, %s::timestamptz) p",
    )

    series = Series.objects.create(metric="cpu", labels={}, key="cpu")

    response = reader.get("/api/v1/points", {"series": str(series.pk), "step": "1h"})

    assert response.status_code == 503
    assert response.json()["limit"] == "TSMON_STATEMENT_TIMEOUT_API_SECONDS"


@override_settings(TSMON_STATEMENT_TIMEOUT_WRITES_SECONDS=1)
@pytest.mark.parametrize("path", ["/api/v2/write?bucket=b", "/write?db=b"])
def test_a_write_past_its_limit_is_a_503_naming_it_with_nothing_written(path, monkeypatch):
    from ingestion import ingest

    _, key = ApiKey.issue("writer", ["write"])
    writer = APIClient()
    writer.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    monkeypatch.setattr(ingest, "write_samples", sleeping(3, None))

    response = writer.post(path, "cpu value=1 1700000000000000000", content_type="text/plain")

    assert response.status_code == 503 and response["Retry-After"]
    message = response.json().get("message") or response.json()["error"]  # v2's shape, then 1.x's
    assert "TSMON_STATEMENT_TIMEOUT_WRITES_SECONDS" in message and "smaller batches" in message
    assert not Series.objects.exists()


@override_settings(**ONE_SECOND)
def test_a_page_past_its_limit_is_a_503_naming_it(admin_client, monkeypatch):
    monkeypatch.setattr(series_queries, "label_pairs", sleeping(3, {}))
    admin_client.raise_request_exception = False

    response = admin_client.get("/series/")

    assert response.status_code == 503
    assert "TSMON_STATEMENT_TIMEOUT_PAGES_SECONDS" in response.content.decode()


@override_settings(**ONE_SECOND)
def test_a_job_statement_past_its_limit_fails_the_job_as_a_timeout():
    job = with_statement_timeout(JOBS, sleeping(3, "done"))

    with pytest.raises(OperationalError) as raised:
        job()

    assert is_statement_timeout(raised.value)


@override_settings(TSMON_STATEMENT_TIMEOUT_JOBS_SECONDS=13)
def test_a_job_runs_under_the_jobs_limit():
    assert with_statement_timeout(JOBS, current_timeout)() == "13s"


def test_every_periodic_job_is_bounded_by_the_jobs_limit():
    jobs = default_jobs()

    assert jobs and all(job.run.statement_timeout_kind == JOBS for job in jobs)


def test_a_database_that_fails_the_limit_fails_as_django_says():
    """A view's `except DatabaseError` (healthz's 503, the writes' 503) holds for the SET too."""
    import psycopg2
    from django.db import DatabaseError
    from django.db.utils import DatabaseErrorWrapper

    class BrokenConnection:
        def cursor(self):
            raise psycopg2.OperationalError("server closed the connection unexpectedly")

    class BrokenDatabase:
        Database = psycopg2  # what Django's error wrapper maps errors from
        connection = BrokenConnection()
        errors_occurred = False

        def ensure_connection(self):
            pass

        @property
        def wrap_database_errors(self):
            return DatabaseErrorWrapper(self)

    with pytest.raises(DatabaseError):
        statement_timeouts.set_statement_timeout(statement_timeouts.API, BrokenDatabase())
