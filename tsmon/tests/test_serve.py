import json
import os
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model

from core.scopes import ApiScope
from ingestion.models import ApiKey
from tsmon.serve import ensure_admin, spawn, supervise


@pytest.mark.django_db
def test_the_first_run_creates_an_admin_with_a_generated_password_kept_for_later(tmp_path, monkeypatch):
    monkeypatch.delenv("TSMON_ADMIN_PASSWORD", raising=False)
    username, password = ensure_admin(tmp_path)

    user = get_user_model().objects.get(username=username)
    assert user.is_superuser and user.check_password(password)
    assert ensure_admin(tmp_path) == (username, password)
    assert (tmp_path / "admin-password").stat().st_mode & 0o077 == 0


@pytest.mark.django_db
def test_an_admin_password_from_the_environment_wins(tmp_path, monkeypatch):
    ensure_admin(tmp_path)
    monkeypatch.setenv("TSMON_ADMIN_PASSWORD", "correct horse battery")

    username, password = ensure_admin(tmp_path)

    assert password == "correct horse battery"
    assert get_user_model().objects.get(username=username).check_password("correct horse battery")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "reason"),
    [("admin", "too short"), ("password123", "too common"), ("84736251907", "entirely numeric")],
)
def test_a_weak_admin_password_from_the_environment_stops_startup_and_says_why(
    tmp_path, monkeypatch, password, reason
):
    monkeypatch.setenv("TSMON_ADMIN_PASSWORD", password)

    with pytest.raises(SystemExit, match=f"TSMON_ADMIN_PASSWORD is refused: .*{reason}"):
        ensure_admin(tmp_path)

    assert not get_user_model().objects.exists()


def test_make_run_serves_with_the_worker_that_slow_clients_cannot_exhaust():
    # bench.harness.gunicorn (the benches, tests/test_slow_clients.py) runs this same command.
    from tsmon.serve import web_command

    command = web_command("127.0.0.1", 8000, workers=2)

    assert command[command.index("--worker-class") + 1] == "tsmon.web_worker.TsmonWorker"


def _get(url: str, key: str) -> tuple[int, str, dict]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers["Content-Type"], json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], json.loads(error.read())


@pytest.mark.django_db(transaction=True)
def test_a_query_string_of_8_kb_is_read_and_a_longer_one_is_a_json_414_naming_the_limit(live_gunicorn):
    from tsmon.web_worker import REQUEST_LINE_LIMIT

    _, key = ApiKey.issue("long-queries", [ApiScope.READ])
    # A dashboard asking for 620 series by id: about 8 KB of query string.
    query = urlencode([("series", 10_000 + i) for i in range(620)] + [("start", "now-1h")])
    request_line = f"GET /api/v1/points?{query} HTTP/1.1"
    assert 8_000 < len(request_line) <= REQUEST_LINE_LIMIT

    status, content_type, body = _get(f"{live_gunicorn}/api/v1/points?{query}", key)
    assert (status, content_type, body["series"]) == (200, "application/json", [])

    too_long = query + "&match=" + "x" * (REQUEST_LINE_LIMIT - len(request_line))
    status, content_type, body = _get(f"{live_gunicorn}/api/v1/points?{too_long}", key)
    assert (status, content_type) == (414, "application/json")
    assert f"over {REQUEST_LINE_LIMIT} bytes" in body["detail"]
    assert body["limit"] == f"{REQUEST_LINE_LIMIT} bytes (gunicorn's limit_request_line)"


CHILD = """
import signal, sys, time
def stop(*_):
    with open(sys.argv[2], "a") as log:
        log.write(sys.argv[1] + "\\n")
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
open(sys.argv[2] + "." + sys.argv[1], "w").close()
while True:
    time.sleep(0.05)
"""


def test_ctrl_c_reaches_only_the_supervisor_which_stops_the_agent_first_and_the_web_server_last(tmp_path):
    log = tmp_path / "stopped"
    names = ["web", "jobs", "agent"]
    children = spawn([[sys.executable, "-c", CHILD, name, str(log)] for name in names])
    deadline = time.monotonic() + 30
    while not all((tmp_path / f"stopped.{name}").exists() for name in names) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(os.getpgid(child.pid) == child.pid for child in children)  # not in our group: no Ctrl-C
    threading.Timer(
        0.2, os.kill, (os.getpid(), signal.SIGINT)
    ).start()  # Ctrl-C, as the terminal sends it to us

    try:
        assert supervise(children) == 0
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

    assert log.read_text().split() == ["agent", "jobs", "web"]
    assert all(child.returncode == 0 for child in children)
