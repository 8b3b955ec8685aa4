"""A real Celery worker for tests, on the local Redis and the test database."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid

import pytest
import redis
from celery import Celery
from django.db import connection

from core.processes import stop_process

REDIS_URL = os.environ.get("TSMON_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def require_redis() -> None:
    """Skip without Redis on a developer machine; fail in CI, where it must run."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")


def test_database_url() -> str:
    db = connection.settings_dict
    auth = f"{db['USER']}:{db['PASSWORD']}@" if db["USER"] else ""
    if db["HOST"].startswith("/"):
        return f"postgresql://{auth}/{db['NAME']}?host={db['HOST']}"
    return f"postgresql://{auth}{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


@contextlib.contextmanager
def celery_worker(concurrency: int = 2, **extra_env: str):
    """Run `celery worker` in a subprocess on a queue of its own; yield the
    app configured to send to it. `extra_env` is the worker's own settings."""
    with private_queue() as (app, queue):
        worker = start_worker(queue, concurrency, **extra_env)
        try:
            yield app
        finally:
            stop_worker(worker)


@contextlib.contextmanager
def private_queue(broker_url: str = REDIS_URL):
    """Yield (app, queue): a Celery app of its own that sends to a new queue
    on `broker_url` and reads results from REDIS_URL.

    Not tsmon's app: that one keeps the broker connections it made first,
    and a test must not change what the rest of the process talks to.
    """
    queue = f"tsmon-test-{uuid.uuid4().hex[:8]}"
    app = Celery("tsmon-tests", broker=broker_url, backend=REDIS_URL, set_as_current=False)
    app.conf.update(task_default_queue=queue, task_serializer="json", accept_content=["json"])
    with app:
        yield app, queue


def start_worker(
    queue: str, concurrency: int = 2, broker_url: str = REDIS_URL, **extra_env: str
) -> subprocess.Popen:
    """Start `celery worker` on `queue` and the test database; the caller stops it."""
    env = {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "CELERY_BROKER_URL": broker_url,
        "CELERY_RESULT_BACKEND": REDIS_URL,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        **extra_env,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "tsmon", "worker", "-Q", queue, "-c", str(concurrency),
         "--without-heartbeat", "--without-mingle", "--without-gossip", "-l", "WARNING"],
        env=env,
    )  # fmt: skip


def stop_worker(worker: subprocess.Popen) -> None:
    stop_process(worker)
