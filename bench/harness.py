"""What the benchmarks share: a scratch database and a gunicorn server.

Each benchmark creates its own database on the configured server (the
embedded one without DATABASE_URL), migrates it, and drops it at the end,
so a run leaves nothing behind and never touches real data.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.processes import stop_process  # noqa: E402  (importable once ROOT is on the path)


def server_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    from tsmon import embedded_db

    return embedded_db.ensure_running()


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def admin_connection(url: str):
    conn = psycopg2.connect(with_database(url, "postgres"))
    conn.autocommit = True
    return conn


def setup_django(scratch_url: str, migrate: bool = True) -> None:
    os.environ["DATABASE_URL"] = scratch_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tsmon.settings")
    os.environ.setdefault("TSMON_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)


@contextlib.contextmanager
def scratch_database(prefix: str):
    """Create, migrate and (at the end) drop a database; yield its URL."""
    url = server_url()
    name = f"{prefix}_{os.getpid()}"
    admin = admin_connection(url)
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        scratch = with_database(url, name)
        setup_django(scratch)
        yield scratch
    finally:
        from django.db import connections

        connections.close_all()
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
        print(f"\nscratch database {name} dropped")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def gunicorn(scratch_url: str, workers: int, threads: int, *, gunicorn_args=(), **env_overrides: str):
    """Serve tsmon on a free loopback port as `make run` does; yield (port, process).

    The command line is `make run`'s own (tsmon.serve.web_command), so what
    the benches and the tests measure is what users run. `gunicorn_args`
    go after it (the last of a repeated option wins), for a bench that
    compares, e.g., `--worker-class gthread`.
    """
    from tsmon.serve import web_command

    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": scratch_url,
        "TSMON_LOG_LEVEL": "WARNING",
        "DEBUG": "false",
        **env_overrides,
    }
    command = [*web_command("127.0.0.1", port, workers, threads), "--log-level", "warning", *gunicorn_args]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        yield port, process
    finally:
        stop_process(process, timeout=20)
