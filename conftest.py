"""Project-wide pytest set-up.

Each test run gets a database of its own (named after the process), so that
two runs against one server never collide; pytest-django drops it at the end.
"""

import os

import pytest


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    from django.conf import settings

    test_settings = settings.DATABASES["default"].setdefault("TEST", {})
    test_settings["NAME"] = f"test_tsmon_{os.getpid()}"
    # Request threads of a live server must not keep their connections open
    # after the test, or the test database cannot be dropped at the end.
    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0
    _drop_abandoned_test_databases(settings.DATABASES["default"])


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's set-up, plus: end stray sessions before the drop.

    A live server's request threads or a Celery worker may still hold a
    connection when the run ends; the test database could not be dropped
    then, and would be left behind.
    """
    yield
    from django.db import connection

    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


def _drop_abandoned_test_databases(database: dict) -> None:
    """Drop test databases of runs that were killed before they could clean
    up, on the embedded server only: its test runs all live on this machine,
    so a test_tsmon_<pid> whose process is gone is safe to drop."""
    if os.environ.get("DATABASE_URL"):
        return
    import psutil
    import psycopg2

    conn = psycopg2.connect(
        dbname="postgres", user=database["USER"], host=database["HOST"], port=database["PORT"] or None
    )
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT datname FROM pg_database WHERE datname ~ '^test_tsmon_[0-9]+$'")
            for (name,) in cursor.fetchall():
                if not psutil.pid_exists(int(name.rsplit("_", 1)[1])):
                    cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()


@pytest.fixture(autouse=True)
def _empty_points_after_transactional_tests(request):
    """Django's flush between transactional tests skips tables it does not
    manage, so the points tables (landing and chunks) are emptied here."""
    yield
    marker = request.node.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or "transactional_db" in request.fixturenames):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE ingestion_landing, ingestion_chunk")


@pytest.fixture
def live_gunicorn(transactional_db):
    """A real gunicorn serving the test database as `make run` does; yields its base URL."""
    from tsmon.testing_server import serve_test_database

    with serve_test_database() as base_url:
        yield base_url
