"""A compaction killed at any moment loses and doubles nothing.

A real `manage.py compact_points` process is SIGKILLed again and again while
it moves landing rows into chunks (each time once it has committed a slice,
so the kill falls inside a run); after every kill the stored points read
back exactly as before, no point is held twice by the chunks, and the next
run carries on where the killed one stopped.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from django.db import connection

from ingestion.writer import write_samples
from tsmon import testing_server
from tsmon.testing import ALL_POINTS, forget_write_caches, make_samples

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.fault]

ROOT = Path(__file__).resolve().parents[2]
START = dt.datetime(2026, 11, 19, 22, 0, tzinfo=dt.UTC)  # over a day boundary
N_SERIES, N_POINTS = 400, 300  # a slice holds a series or two: hundreds of transactions
KILLS = 4
APP_NAME = "tsmon compaction under test"  # how its session is told from the others


def stored() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT series_id, ts, value FROM {ALL_POINTS} ORDER BY 1, 2")
        return cursor.fetchall()


def counts() -> tuple[int, int, int]:
    """Chunk rows, landing rows, and chunked points held more than once."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT (SELECT count(*) FROM ingestion_chunk), (SELECT count(*) FROM ingestion_landing),
                   (SELECT count(*) - count(DISTINCT (c.series_id, p.ts))
                    FROM ingestion_chunk c, tsmon_chunk_points(c.first_ts, c.step_us, c.ts_deltas, c.vals) p)
            """
        )
        return cursor.fetchone()


def chunk_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM ingestion_chunk")
        return cursor.fetchone()[0]


def start_compaction() -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": testing_server.test_database_url(),
        "TSMON_LOG_LEVEL": "WARNING",
        "PGAPPNAME": APP_NAME,
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "compact_points", "--slice-rows", "400"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip


def kill_once_it_has_progressed(process: subprocess.Popen, chunks_before: int) -> bool:
    """SIGKILL the process as soon as it has committed a slice; False if it finished first."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        if chunk_rows() > chunks_before:
            process.send_signal(signal.SIGKILL)
            process.wait(10)
            wait_for_its_session_to_end()
            return True
        time.sleep(0.005)
    raise AssertionError("compaction made no progress in 60 s")


def wait_for_its_session_to_end() -> None:
    """Until PostgreSQL has noticed the killed client and rolled its transaction back."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = %s",
                [APP_NAME],
            )
            if cursor.fetchone()[0] == 0:
                return
        time.sleep(0.01)
    raise AssertionError("the killed compaction's session is still open after 30 s")


@pytest.mark.timeout(300)
def test_a_compaction_killed_again_and_again_loses_and_doubles_no_point():
    forget_write_caches()
    rng = np.random.default_rng(3)
    for i in range(N_SERIES):
        values = np.round(rng.normal(50, 5, N_POINTS), 3)
        write_samples(make_samples("kill_probe", {"host": f"h{i}"}, START, N_POINTS, 60, values))
    write_samples(make_samples("kill_probe", {"host": "h0"}, START, 50, 60, [-1.0] * 50))  # sent again
    expected = stored()
    assert len(expected) == N_SERIES * N_POINTS

    kills = 0
    while kills < KILLS:
        chunks, landing, doubled = counts()
        assert landing, "the compaction finished before it could be killed often enough"
        if not kill_once_it_has_progressed(start_compaction(), chunks):
            break
        kills += 1
        chunks, landing, doubled = counts()
        assert chunks and landing  # killed in the middle of the work
        assert doubled == 0
        assert stored() == expected

    finish = start_compaction()
    assert finish.wait(120) == 0, finish.stderr.read().decode()
    chunks, landing, doubled = counts()
    assert kills == KILLS and landing == 0 and doubled == 0
    assert stored() == expected
