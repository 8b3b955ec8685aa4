"""The embedded PostgreSQL: a real server started, reused and stopped."""

import subprocess
import sys

import psycopg2
import pytest

from tsmon import embedded_db


@pytest.fixture
def scratch_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TSMON_DATA_DIR", str(tmp_path / "data"))
    yield tmp_path / "data"
    embedded_db.stop()


def test_it_starts_a_server_with_a_tsmon_database_and_stops_it(scratch_data_dir):
    url = embedded_db.ensure_running()

    conn = psycopg2.connect(url)
    with conn.cursor() as cursor:
        cursor.execute("SELECT current_database(), current_setting('server_version_num')::int")
        name, version = cursor.fetchone()
    conn.close()
    assert name == "tsmon" and version >= 160000
    assert embedded_db.stop() is True
    assert embedded_db.is_running() is False
    assert embedded_db.stop() is False


def test_it_reuses_the_server_already_running_on_its_folder(scratch_data_dir):
    embedded_db.ensure_running()
    pid = embedded_db._postmaster().pid

    embedded_db.ensure_running()

    assert embedded_db._postmaster().pid == pid


def test_run_with_stops_the_server_it_started_when_the_command_ends(scratch_data_dir):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tsmon.embedded_db",
            "run-with",
            "--",
            sys.executable,
            "-c",
            "print('inside')",
        ],
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0 and "inside" in result.stdout
    assert embedded_db.is_running() is False


def test_run_with_leaves_a_server_it_did_not_start(scratch_data_dir):
    embedded_db.ensure_running()

    subprocess.run([sys.executable, "-m", "tsmon.embedded_db", "run-with", "--", "true"], check=True)

    assert embedded_db.is_running() is True
