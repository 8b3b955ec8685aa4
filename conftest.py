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
