"""Counters of several processes add up in `/metrics` (prometheus_client's multiprocess mode).

gunicorn's workers and the scheduler each count the writes they handle;
with PROMETHEUS_MULTIPROC_DIR set, `/metrics` must answer the sum, read
from the shared folder, whichever process serves the scrape.
"""

import os
import subprocess
import sys

import pytest

from tsmon.serve import prepare_metrics_dir
from tsmon.tests.metrics_helpers import scrape, value

pytestmark = pytest.mark.django_db

# What ingest() and the write views call, in a process of its own.
WORKER = """
import sys
from core.instruments import count_points, observe_write_request

accepted, rejected = int(sys.argv[1]), int(sys.argv[2])
count_points(accepted=accepted, validation=rejected)
observe_write_request("/api/v1/write", 400 if rejected else 200, 0.02)
"""


def run_worker(folder, accepted: int, rejected: int) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    subprocess.run([sys.executable, "-c", WORKER, str(accepted), str(rejected)], env=env, check=True)


def test_the_counts_of_two_processes_add_up(tmp_path, monkeypatch):
    run_worker(tmp_path, accepted=30, rejected=0)
    run_worker(tmp_path, accepted=12, rejected=5)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))

    samples = scrape()

    assert len(list(tmp_path.glob("counter_*.db"))) == 2
    assert value(samples, "tsmon_points_accepted_total") == 42
    assert value(samples, "tsmon_points_rejected_total", reason="validation") == 5
    assert value(samples, "tsmon_points_rejected_total", reason="parse") == 0
    assert value(samples, "tsmon_write_requests_total", path="/api/v1/write", status="200") == 1
    assert value(samples, "tsmon_write_requests_total", path="/api/v1/write", status="400") == 1
    assert value(samples, "tsmon_write_request_duration_seconds_count", path="/api/v1/write") == 2
    # The database's figures come with them, once.
    assert value(samples, "tsmon_database_up") == 1


def test_with_a_shared_folder_only_the_folder_counts(tmp_path, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))

    # This test process counts in memory (it started without the variable):
    # in multiprocess mode such counts are not what the folder says.
    from core.instruments import count_points

    count_points(accepted=1000)

    assert value(scrape(), "tsmon_points_accepted_total") is None


def test_make_run_empties_the_folder_and_hands_it_to_its_children(tmp_path, monkeypatch):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    folder = tmp_path / "prometheus"
    folder.mkdir()
    (folder / "counter_12345.db").write_bytes(b"last run")

    assert prepare_metrics_dir(tmp_path) == folder

    assert list(folder.iterdir()) == []
    assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(folder)
