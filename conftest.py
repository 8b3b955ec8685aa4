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


@pytest.fixture(autouse=True)
def _empty_points_after_transactional_tests(request):
    """Django's flush between transactional tests skips unmanaged tables, so
    the partitioned points table is emptied here."""
    yield
    marker = request.node.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or "transactional_db" in request.fixturenames):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE ingestion_point")
