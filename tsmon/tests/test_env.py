import os
import subprocess
import sys

import pytest

from tsmon.env import ConfigError, env_bool, env_int, env_list, env_secret, parse_database_url


def test_it_reads_booleans_in_the_usual_spellings(monkeypatch):
    for text, expected in [("1", True), ("yes", True), ("On", True), ("false", False), ("0", False)]:
        monkeypatch.setenv("TSMON_FLAG", text)
        assert env_bool("TSMON_FLAG", default=not expected) is expected


def test_an_unset_or_empty_variable_gives_the_default(monkeypatch):
    monkeypatch.setenv("TSMON_FLAG", "  ")
    assert env_bool("TSMON_FLAG", default=True) is True
    monkeypatch.delenv("TSMON_FLAG")
    assert env_int("TSMON_FLAG", 7) == 7


def test_a_malformed_value_names_the_variable_and_what_was_expected(monkeypatch):
    monkeypatch.setenv("TSMON_N", "ten")
    with pytest.raises(ConfigError, match=r"TSMON_N='ten': expected a whole number"):
        env_int("TSMON_N", 1)
    monkeypatch.setenv("TSMON_N", "0")
    with pytest.raises(ConfigError, match="must be at least 1"):
        env_int("TSMON_N", 1, minimum=1)
    monkeypatch.setenv("TSMON_N", "maybe")
    with pytest.raises(ConfigError, match="expected a boolean"):
        env_bool("TSMON_N", False)


def test_lists_are_comma_separated(monkeypatch):
    monkeypatch.setenv("ALLOWED_HOSTS", "a.example, b.example,,")
    assert env_list("ALLOWED_HOSTS", []) == ["a.example", "b.example"]


def test_a_secret_can_come_from_a_file(monkeypatch, tmp_path):
    secret_file = tmp_path / "key"
    secret_file.write_text("s3cret\n")
    monkeypatch.delenv("TSMON_TOKEN", raising=False)
    monkeypatch.setenv("TSMON_TOKEN_FILE", str(secret_file))
    assert env_secret("TSMON_TOKEN") == "s3cret"
    monkeypatch.setenv("TSMON_TOKEN_FILE", str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="cannot read it"):
        env_secret("TSMON_TOKEN")


def test_database_urls_become_django_settings():
    db = parse_database_url("postgres://tsmon:p%40ss@db.internal:6543/metrics?sslmode=require")
    assert db["NAME"] == "metrics" and db["USER"] == "tsmon" and db["PASSWORD"] == "p@ss"
    assert db["HOST"] == "db.internal" and db["PORT"] == "6543"
    assert db["OPTIONS"] == {"sslmode": "require"}
    socket = parse_database_url("postgresql://postgres:@/tsmon?host=/run/pg")
    assert socket["HOST"] == "/run/pg" and socket["PORT"] == ""


def test_database_urls_that_are_not_postgres_are_refused():
    with pytest.raises(ConfigError, match="expected a postgres"):
        parse_database_url("sqlite:///db.sqlite3")
    with pytest.raises(ConfigError, match="names no database"):
        parse_database_url("postgres://localhost:5432/")


def test_startup_stops_with_a_clear_message_on_a_malformed_setting():
    env = {**os.environ, "TSMON_RETENTION_DAYS": "a month", "DJANGO_SETTINGS_MODULE": "tsmon.settings"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "tsmon configuration: TSMON_RETENTION_DAYS='a month': expected a whole number" in result.stderr
