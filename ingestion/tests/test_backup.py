"""A tsmon database backed up with pg_dump -Fc and restored with pg_restore,
as the README's "Backup and restore" section does it."""

import datetime as dt
import os
import subprocess
from contextlib import closing
from pathlib import Path

import pgserver
import psycopg2
import pytest
from django.db import connection
from django.utils import timezone

from ingestion import writer
from ingestion.compaction import compact
from tsmon.testing import ALL_POINTS, make_samples

from .write_helpers import fresh_caches  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

# pg_dump refuses a server newer than itself; the pgserver wheel's binaries
# match the embedded server (PostgreSQL 16).
PG_BIN = Path(pgserver.__file__).parent / "pginstall" / "bin"


def client_env() -> dict:
    settings = connection.settings_dict
    env = {**os.environ, "PGUSER": settings["USER"], "PGPASSWORD": settings["PASSWORD"] or ""}
    env["PGHOST"], env["PGPORT"] = settings["HOST"] or "", str(settings["PORT"] or "")
    return {k: v for k, v in env.items() if v}


def run_client(name: str, *args: str) -> None:
    subprocess.run([str(PG_BIN / name), *args], env=client_env(), check=True, capture_output=True)


def points_of(conn) -> list[tuple]:
    with conn.cursor() as cursor:
        cursor.execute(
            f"SELECT s.key, p.ts, float8send(p.value) FROM {ALL_POINTS} p"
            " JOIN ingestion_series s ON s.id = p.series_id ORDER BY 1, 2"
        )
        return [(key, ts, bytes(value)) for key, ts, value in cursor.fetchall()]


def partitions_of(conn) -> int:
    with conn.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_inherits WHERE inhparent = 'ingestion_chunk'::regclass")
        return cursor.fetchone()[0]


def test_a_dump_restored_into_a_new_database_holds_the_same_points_and_partitions(tmp_path):
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        if int(cursor.fetchone()[0]) // 10_000 > 16:
            pytest.skip("the bundled pg_dump is older than the server")
    start = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(days=2)
    for host in ("web-1", "db-1"):
        writer.write_samples(
            make_samples(labels={"host": host}, start=start, n_points=2800, values=range(2800))
        )
    compact()  # chunks in day partitions, and a few points still landing:
    writer.write_samples(
        make_samples(labels={"host": "web-1"}, start=start + dt.timedelta(days=2), n_points=5)
    )
    source, restored = connection.settings_dict["NAME"], f"{connection.settings_dict['NAME']}_restored"
    dump = tmp_path / "tsmon.dump"

    run_client("pg_dump", "-Fc", "-f", str(dump), "-d", source)
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{restored}"')
    try:
        run_client("pg_restore", "--no-owner", "-d", restored, str(dump))
        params = {**connection.get_connection_params(), "dbname": restored}
        with closing(psycopg2.connect(**params)) as copy:
            assert points_of(copy) == points_of(connection.connection)
            assert partitions_of(copy) == partitions_of(connection.connection) >= 3
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)')
