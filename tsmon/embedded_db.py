"""The embedded default database: a real PostgreSQL 16 server under the
checkout's data folder, used when `DATABASE_URL` is not set.

The server binaries come from the `pgserver` wheel. The server listens only
on a Unix socket inside its data folder. Its one trap is that it outlives the
Python process that started it, so this module never starts a second server
on the same folder: it reuses the one it finds running, and `stop()` (used by
`make stop` and by `run-with` when its command ends) shuts it down.

Command line::

    python -m tsmon.embedded_db start|stop|status|url
    python -m tsmon.embedded_db run-with [--stop-after] -- COMMAND ...

`run-with` starts the server if it is not running, runs COMMAND, and stops the
server again afterwards if it was the one that started it (always, with
`--stop-after`), also when COMMAND is interrupted with Ctrl-C.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import warnings
from pathlib import Path

DB_NAME = "tsmon"
BASE_DIR = Path(__file__).resolve().parent.parent

logger = logging.getLogger(__name__)


def data_dir() -> Path:
    """Folder holding tsmon's local state; `TSMON_DATA_DIR` moves it."""
    configured = os.environ.get("TSMON_DATA_DIR", "").strip()
    return Path(configured).resolve() if configured else BASE_DIR / ".tsmon-data"


def pgdata() -> Path:
    return data_dir() / "postgres"


def _postmaster():
    """Return pgserver's view of the server on our folder, or None."""
    with warnings.catch_warnings():
        # pgserver warns about XDG_RUNTIME_DIR, which it only needs for
        # socket paths too long for the data folder.
        warnings.simplefilter("ignore")
        from pgserver.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(pgdata())
    if info is None or not info.is_running():
        return None
    return info


def is_running() -> bool:
    return _postmaster() is not None


def _url(info, database: str) -> str:
    return f"postgresql://postgres:@/{database}?host={info.socket_dir}"


def ensure_running() -> str:
    """Start the server unless it is already running; return the URL of
    the tsmon database on it (created on first start)."""
    info = _postmaster()
    if info is None:
        _start_server()
        info = _postmaster()
        if info is None:
            raise RuntimeError(f"embedded PostgreSQL did not start; see {pgdata() / 'log'}")
    _ensure_database(info)
    return _url(info, DB_NAME)


def _start_server() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # as in _postmaster()
        import pgserver

        pgdata().mkdir(parents=True, exist_ok=True)
        # cleanup_mode=None: the server must outlive this process, so that
        # every manage.py command does not start and stop it again.
        pgserver.get_server(pgdata(), cleanup_mode=None)
    logger.info("embedded PostgreSQL started in %s", pgdata())


def _ensure_database(info) -> None:
    import psycopg2

    conn = psycopg2.connect(_url(info, "postgres"))
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{DB_NAME}"')
    finally:
        conn.close()


def stop() -> bool:
    """Stop the server if it runs; return whether there was one to stop."""
    info = _postmaster()
    if info is None:
        return False
    from pgserver._commands import pg_ctl

    owner = "pgserver" if os.geteuid() == 0 else None
    try:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata(), user=owner, timeout=60)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
        # pg_ctl failed (e.g. the pid file is stale): end the postmaster itself.
        info.process.terminate()
        info.process.wait(30)
    return True


def run_with(command: list[str], stop_after: bool = False) -> int:
    """Run `command` with the server up; stop it afterwards if we started it
    or `stop_after` says so.

    With `DATABASE_URL` set there is nothing to manage and the command just runs.
    """
    if os.environ.get("DATABASE_URL", "").strip():
        return subprocess.call(command)
    started_here = not is_running()
    ensure_running()
    child = subprocess.Popen(command)
    try:
        return _wait_forwarding_signals(child)
    finally:
        if started_here or stop_after:
            stop()
            print("embedded PostgreSQL stopped", file=sys.stderr)


def _wait_forwarding_signals(child: subprocess.Popen) -> int:
    """Wait for `child`; SIGTERM is passed on, SIGINT already reaches it
    through the terminal's process group."""

    def forward(signum, _frame):
        child.send_signal(signum)

    previous = signal.signal(signal.SIGTERM, forward)
    try:
        while True:
            try:
                return child.wait()
            except KeyboardInterrupt:
                continue  # the child got the same Ctrl-C; wait for it to finish
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str]) -> int:
    action = argv[0] if argv else "status"
    if action in ("start", "url"):
        print(ensure_running())
    elif action == "stop":
        print("stopped" if stop() else "not running")
    elif action == "status":
        print(f"running in {pgdata()}" if is_running() else "not running")
    elif action == "run-with":
        command = argv[1:]
        stop_after = command[:1] == ["--stop-after"]
        if stop_after:
            command = command[1:]
        if command[:1] == ["--"]:
            command = command[1:]
        if not command:
            print(
                "usage: python -m tsmon.embedded_db run-with [--stop-after] -- COMMAND ...", file=sys.stderr
            )
            return 2
        return run_with(command, stop_after)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
