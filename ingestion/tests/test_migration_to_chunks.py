"""The move from one indexed row per point to landing and chunks, both ways, on the demo data."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from demo.loading import load_demo_data
from ingestion.compaction import compact
from tsmon.testing import ALL_POINTS, forget_write_caches

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("ingestion", "0005_series_ended_at")]


def points(source: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT series_id, ts, float8send(value) FROM {source} ORDER BY 1, 2")
        return cursor.fetchall()


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.timeout(600)
def test_the_demo_data_survives_the_migration_back_to_one_row_per_point_and_forward_again():
    forget_write_caches()
    load_demo_data(dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC), seed=7)  # written and compacted
    expected = points(ALL_POINTS)
    assert len(expected) == 25 * 14 * 24 * 60
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()

    migrate(BEFORE)  # back: the old partitioned table with its primary key
    assert points("ingestion_point") == expected

    migrate(leaves)  # forward: everything lands as one batch, then is compacted
    forget_write_caches()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM ingestion_landing")
        assert cursor.fetchone()[0] == len(expected)
    assert points(ALL_POINTS) == expected
    compact()
    assert points(ALL_POINTS) == expected
