"""Shared set-up of the write-path tests: keys, clients, fresh caches, stored rows."""

from __future__ import annotations

import contextlib
import datetime as dt

import psycopg2
import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from core.scopes import ApiScope
from ingestion.models import ApiKey
from tsmon.testing import ALL_POINTS, forget_write_caches


@pytest.fixture(autouse=True)
def fresh_caches():
    """Each transactional test starts from an empty database, so the
    per-process series and partition caches must start empty too."""
    forget_write_caches()
    yield


def client_with_key(scopes=(ApiScope.WRITE,), keyword="Bearer", **fields) -> APIClient:
    _, plaintext = ApiKey.issue("test", list(scopes), **fields)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {plaintext}")
    return client


def recent(minutes: int = 5) -> dt.datetime:
    """A whole second a few minutes ago: inside the accepted time window."""
    return timezone.now().replace(microsecond=0) - dt.timedelta(minutes=minutes)


def epoch_s(moment: dt.datetime) -> int:
    return int(moment.timestamp())


def stored_points() -> list[tuple[str, dt.datetime, float]]:
    """Every stored point as (series key, ts, value), in key and time order."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.key, p.ts, p.value FROM {ALL_POINTS} p"
            " JOIN ingestion_series s ON s.id = p.series_id ORDER BY s.key, p.ts"
        )
        return cursor.fetchall()


@contextlib.contextmanager
def table_locked_by_another_session(table: str = "ingestion_landing"):
    """Make writes fail for real: another session holds an exclusive lock on
    `table` and this one gives up waiting for it after 300 ms."""
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '300ms'")
    other = psycopg2.connect(**connection.get_connection_params())
    try:
        with other.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        yield
    finally:
        other.rollback()
        other.close()
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
