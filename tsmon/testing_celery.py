"""A real Celery worker for tests, on the local Redis and the test database."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid

import pytest
import redis
from django.db import connection

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
    from tsmon.celery import app

    queue = f"tsmon-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_RESULT_BACKEND": REDIS_URL,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        **extra_env,
    }
    saved = {k: app.conf[k] for k in ("broker_url", "result_backend", "task_default_queue")}
    app.conf.update(broker_url=REDIS_URL, result_backend=REDIS_URL, task_default_queue=queue)
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "tsmon", "worker", "-Q", queue, "-c", str(concurrency),
         "--without-heartbeat", "--without-mingle", "--without-gossip", "-l", "WARNING"],
        env=env,
    )  # fmt: skip
    try:
        yield app
    finally:
        worker.terminate()
        worker.wait(30)
        app.conf.update(saved)
        app.pool.force_close_all()
