"""Production settings pass Django's deployment checklist with no warning."""

import os
import secrets
import subprocess
import sys


def check_deploy(**env) -> subprocess.CompletedProcess:
    environment = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "tsmon.example.com",
        **env,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=environment,
        capture_output=True,
        text=True,
    )


def test_https_settings_pass_check_deploy_with_no_warning():
    result = check_deploy(TSMON_HTTPS="true")

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_without_https_the_checklist_names_what_is_missing():
    result = check_deploy(TSMON_HTTPS="false")

    assert result.returncode != 0
    assert "SESSION_COOKIE_SECURE" in result.stderr and "SECURE_HSTS_SECONDS" in result.stderr


def test_with_https_plain_requests_are_redirected_but_health_checks_are_not(client, settings, db):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/api/v1/series").status_code == 301
    assert client.get("/healthz").status_code == 200
