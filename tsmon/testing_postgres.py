"""A private PostgreSQL server for fault tests: one a test may stop and start.

The shared servers (the embedded one under .tsmon-data, or DATABASE_URL) run
everybody's tests, so a test that takes its database away starts its own
server instead: the pgserver wheel's PostgreSQL 16, in a temporary folder,
listening only on a Unix socket in that folder. `pgserver.get_server` does
the first start (initdb, and as root the switch to its `pgserver` user);
later stops and starts go through pg_ctl, which pgserver's handle does not
follow, so the handle is left alone after that.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import psycopg2


class PrivatePostgres:
    """A PostgreSQL server on `pgdata`, started and stopped on request."""

    def __init__(self, pgdata: Path):
        self.pgdata = pgdata
        self.socket_dir: Path | None = None
        # pgserver refuses to run PostgreSQL as root and uses this user instead.
        self._user = "pgserver" if os.geteuid() == 0 else None

    def start(self) -> None:
        """Start the server (initialising its folder the first time)."""
        if self.socket_dir is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # pgserver's XDG_RUNTIME_DIR warning
                import pgserver

                server = pgserver.get_server(self.pgdata, cleanup_mode=None)
            self.socket_dir = server.get_postmaster_info().socket_dir
            return
        self._pg_ctl("-o", '-h ""', "-o", f"-k {self.socket_dir}", "-l", str(self.pgdata / "log"), "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server; `fast` ends open sessions, as a restart by an operator does."""
        self._pg_ctl("-m", mode, "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres:@/{database}?host={self.socket_dir}"

    def create_database(self, name: str) -> str:
        """Create database `name`; return its URL."""
        conn = psycopg2.connect(self.url())
        conn.autocommit = True
        try:
            with conn.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()
        return self.url(name)

    def is_running(self) -> bool:
        status = subprocess.run(self._command("status"), capture_output=True, user=self._user)
        return status.returncode == 0

    def _pg_ctl(self, *args: str) -> None:
        subprocess.run(self._command(*args), check=True, capture_output=True, timeout=60, user=self._user)

    def _command(self, *args: str) -> list[str]:
        from pgserver._commands import POSTGRES_BIN_PATH

        return [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(self.pgdata), "-w", *args]


@contextlib.contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """Start a PostgreSQL server in a temporary folder; stop and delete it at the end."""
    # A short folder under /tmp: the socket's path must fit in 107 bytes.
    folder = Path(tempfile.mkdtemp(prefix="tsmon-pg-"))
    server = PrivatePostgres(folder / "data")
    try:
        server.start()
        yield server
    finally:
        if server.socket_dir is not None and server.is_running():
            server.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)
