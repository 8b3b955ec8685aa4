import pytest
from django.contrib.auth import get_user_model

from tsmon.serve import ensure_admin


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
