"""`make run`: prepare the database and serve tsmon with its background jobs.

Steps: migrate, load the demo data if the database holds no series, make
sure the demo admin exists, collect static files, empty the folder where
the processes add up their /metrics counters, then run the web server
(gunicorn), the background jobs (the in-process scheduler, or a Celery
worker and beat when CELERY_BROKER_URL is set) and an agent measuring this
host, until Ctrl-C or SIGTERM stops them all. `HOST` and `PORT` choose
where the web server listens.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import django

from core.processes import stop_process

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tsmon.settings")


def main() -> int:
    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("seed_demo", if_empty=True)
    call_command("collectstatic", interactive=False, verbosity=0)
    username, password = ensure_admin(settings.DATA_DIR)
    prepare_metrics_dir(settings.DATA_DIR)
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "8000")
    children = start_children(host, port)
    print_banner(host, port, username, password)
    return supervise(children)


def ensure_admin(data_dir) -> tuple[str, str | None]:
    """Create the admin account on first run; return its name and password.

    The password comes from TSMON_ADMIN_PASSWORD, or is generated once and
    kept in the (git-ignored) data folder so that it can be shown again.
    The password is None when the account existed and was not made here.
    A configured password must pass Django's password validators, as one
    set in the admin would; if not, tsmon does not start.
    """
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    from tsmon.env import env_secret, env_str

    username = env_str("TSMON_ADMIN_USER", "admin")
    configured = env_secret("TSMON_ADMIN_PASSWORD")
    saved = data_dir / "admin-password"
    password = configured or (saved.read_text().strip() if saved.exists() else None)
    User = get_user_model()
    if configured is not None:
        try:
            validate_password(configured, User(username=username))
        except ValidationError as exc:
            reasons = " ".join(exc.messages)
            raise SystemExit(f"tsmon: TSMON_ADMIN_PASSWORD is refused: {reasons}") from None
    user = User.objects.filter(username=username).first()
    if user is None:
        if password is None:
            password = secrets.token_urlsafe(12)
            saved.write_text(password)
            saved.chmod(0o600)
        User.objects.create_superuser(username=username, email="", password=password)
    elif configured is not None:
        user.set_password(configured)
        user.save(update_fields=["password"])
    elif password is not None and not user.check_password(password):
        password = None  # changed since; we no longer know it
    return username, password


def prepare_metrics_dir(data_dir) -> Path:
    """Empty the folder the web workers, the jobs and the agent share their
    /metrics counters in, and hand it to them (see monitoring).

    PROMETHEUS_MULTIPROC_DIR if set, else `<data dir>/prometheus`. Emptied
    because the files of the last run's processes would otherwise be added
    to this run's counts; set in our environment, which every child inherits.
    """
    folder = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or data_dir / "prometheus")
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    return folder


def start_children(host: str, port: str) -> list[subprocess.Popen]:
    """The web server, the background jobs and an agent measuring this host."""
    from django.conf import settings

    python = sys.executable
    web = web_command(host, port, int(os.environ.get("TSMON_WEB_WORKERS", "2")))
    if settings.CELERY_BROKER_URL:
        beat_schedule = str(settings.DATA_DIR / "celerybeat-schedule")
        jobs = [
            [python, "-m", "celery", "-A", "tsmon", "worker", "-l", "INFO"],
            [python, "-m", "celery", "-A", "tsmon", "beat", "-l", "INFO", "-s", beat_schedule],
        ]
    else:
        jobs = [[python, "manage.py", "run_scheduler"]]
    agent = [python, "manage.py", "run_agent", "--url", f"http://{host}:{port}"]
    return spawn([web, *jobs, agent])


def spawn(commands: list[list[str]]) -> list[subprocess.Popen]:
    """Start each command in a process group of its own: Ctrl-C reaches only
    us, and `supervise` stops them in order. Sent to all at once, it had
    gunicorn's workers quit under the master's feet ("Worker was sent
    SIGQUIT!") and the agent lose its last batch to a web server already gone."""
    return [subprocess.Popen(command, process_group=0) for command in commands]


def web_command(host: str, port: int | str, workers: int, threads: int = 4) -> list[str]:
    """The gunicorn command line of the web server: `make run`'s, the benches' and the tests'.

    tsmon's own worker class (tsmon.web_worker): connections are greenlets,
    so slow clients cannot take every worker, and Django runs in `threads`
    threads per worker, each with its database connection (PostgreSQL sees
    at most workers x threads from the web server). A request line may
    be 8190 bytes long, gunicorn's most (its default is 4094): long selectors
    and many `series=` ids fit, and a longer one is tsmon's JSON 414.
    """
    from tsmon.web_worker import REQUEST_LINE_LIMIT

    return [
        sys.executable, "-m", "gunicorn", "tsmon.wsgi:application",
        "--bind", f"{host}:{port}", "--workers", str(workers), "--threads", str(threads),
        "--worker-class", "tsmon.web_worker.TsmonWorker",
        "--timeout", "60", "--graceful-timeout", "10",
        "--limit-request-line", str(REQUEST_LINE_LIMIT),
        # gunicorn 27's control socket is one path in $HOME for every server
        # started: tests, benches and a second tsmon would take it from each other.
        "--no-control-socket",
    ]  # fmt: skip


def print_banner(host: str, port: str, username: str, password: str | None) -> None:
    base = f"http://{host}:{port}"
    shown = password if password is not None else "(unchanged; set TSMON_ADMIN_PASSWORD to reset)"
    print(
        f"\ntsmon is running\n"
        f"  pages:     {base}/\n"
        f"  reports:   {base}/reports/\n"
        f"  health:    {base}/healthz\n"
        f"  metrics:   {base}/metrics (a read key or this login)\n"
        f"  admin:     {base}/admin/\n"
        f"  API docs:  {base}/api/docs/\n"
        f"  login:     {username} / {shown}\n"
        f"Ctrl-C stops it (and the embedded database).\n",
        flush=True,
    )


def supervise(children: list[subprocess.Popen]) -> int:
    """Wait until a child exits or we are told to stop; then stop them all."""

    def terminate(*_):
        raise KeyboardInterrupt

    # Installed explicitly: a shell starting us in the background sets
    # SIGINT to "ignore", which Python would otherwise keep.
    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGINT, terminate)
    exit_code = 0
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        exit_code = 1  # a child died on its own
        print("tsmon: a process exited unexpectedly; stopping", file=sys.stderr)
    except KeyboardInterrupt:
        pass
    # Shutting down: a second Ctrl-C or SIGTERM must not cut the wait short
    # and leave children behind.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The agent first, while the web server still takes its last batch; the web server last.
    for child in reversed(children):
        stop_process(child, timeout=20)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
