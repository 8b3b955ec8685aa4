"""Large point answers leave a real worker's memory flat.

A downsampled query of hundreds of thousands of points used to be built
whole (rows, then a dict of lists, then the JSON text: about 300 bytes a
point, 150 MB for 25 series of 20,000 buckets), and the worker kept that
memory afterwards. Answers are now streamed, read and written a chunk of
rows at a time. This test asks gunicorn (as `make run` serves) for such
answers, several at once and again and again, and holds the worker's
resident memory after warm-up to a bound far below what one answer built
whole costs. Memory, not time, is asserted.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import http.client
import json

import psutil
import pytest
from django.db import connection

from ingestion import partitions
from ingestion.compaction import compact
from ingestion.models import ApiKey
from ingestion.writer import write_samples
from tsmon.testing import make_samples

pytestmark = pytest.mark.django_db(transaction=True)

N_SERIES = 10
N_POINTS = 20_000  # per series, one a minute: 200,000 points an answer
START = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
END = START + dt.timedelta(minutes=N_POINTS)
THREADS = 4
# Built whole, these answers took the worker up by 340 MB (and it kept
# them); streamed, by about 15 MB. The bound leaves room for the allocator
# and for chunks in flight, and none for a whole answer.
MAX_GROWTH_MB = 40


@pytest.fixture
def many_points(transactional_db):
    partitions.forget_known()
    write_samples(
        [s for i in range(N_SERIES) for s in make_samples("memory_probe", {"host": f"h{i}"}, START, 1)]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO ingestion_landing (series_id, ts, value, batch)
            SELECT s.id, %s + g * interval '1 minute', random() * 100, 0
            FROM ingestion_series s, generate_series(1, %s - 1) g WHERE s.metric = 'memory_probe'
            """,
            [START, N_POINTS],
        )
    compact()
    _, key = ApiKey.issue("memory", ["read"])
    return key


@pytest.fixture
def worker(many_points):
    from bench.harness import gunicorn
    from tsmon.testing_server import test_database_url

    with gunicorn(test_database_url(), workers=1, threads=THREADS) as (port, process):
        (child,) = psutil.Process(process.pid).children()
        yield port, child


def get(port: int, key: str, query: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("GET", f"/api/v1/points?{query}", headers={"Authorization": f"Bearer {key}"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def rss_mb(process: psutil.Process) -> float:
    return process.memory_info().rss / 2**20


def test_large_downsampled_answers_leave_the_worker_memory_flat(many_points, worker):
    port, process = worker
    start, end = START.isoformat().replace("+00:00", "Z"), END.isoformat().replace("+00:00", "Z")
    big = f"match=memory_probe&start={start}&end={end}&step=1m"
    status, body = get(port, many_points, f"match=memory_probe&start={start}&end={end}&step=1d")
    assert status == 200, body  # warm-up: the application loaded, a database connection open
    baseline = rss_mb(process)

    with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
        for _ in range(2):
            answers = list(pool.map(lambda _: get(port, many_points, big), range(THREADS)))
            assert {status for status, _ in answers} == {200}
    growth = rss_mb(process) - baseline

    series = json.loads(answers[0][1])["series"]
    assert sum(len(s["points"]) for s in series) == N_SERIES * N_POINTS
    assert growth < MAX_GROWTH_MB, f"the worker grew by {growth:.0f} MB over {baseline:.0f} MB"
