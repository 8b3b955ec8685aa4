from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from ingestion import auth
from ingestion.auth import authenticate_key
from ingestion.models import ApiKey


@pytest.mark.django_db
def test_a_key_is_stored_only_as_a_hash_and_found_by_its_plaintext():
    key, plaintext = ApiKey.issue("agent", ["write"])

    assert plaintext.startswith(f"tsm_{key.prefix}_")
    assert plaintext not in (key.key_hash, key.prefix)
    assert ApiKey.find(plaintext) == key
    assert ApiKey.find(plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")) is None
    assert ApiKey.find("not-a-key") is None


@pytest.mark.django_db
def test_a_revoked_key_is_not_found():
    key, plaintext = ApiKey.issue("agent", ["write"])
    key.revoked_at = timezone.now()
    key.save()

    assert ApiKey.find(plaintext) is None


@pytest.mark.django_db
def test_scopes_allow_what_they_name_and_admin_allows_everything():
    writer, _ = ApiKey.issue("w", ["write"])
    admin, _ = ApiKey.issue("a", ["admin"])

    assert writer.allows("write") and not writer.allows("read")
    assert admin.allows("write") and admin.allows("read")


@pytest.mark.django_db
def test_create_api_key_prints_a_working_key_once():
    out = StringIO()
    call_command("create_api_key", "telegraf", "--scope", "write", "--source", "edge-1", stdout=out)

    key = ApiKey.find(out.getvalue().strip())
    assert key.name == "telegraf" and key.scopes == ["write"] and key.source.name == "edge-1"


def listed_names(*args) -> list[str]:
    out = StringIO()
    call_command("list_api_keys", *args, stdout=out)
    return [line.split()[0] for line in out.getvalue().splitlines()[1:]]


@pytest.mark.django_db
def test_revoke_api_key_stops_the_key_at_once_and_list_api_keys_never_shows_it(client):
    call_command("create_api_key", "old-agent", "--scope", "write", stdout=StringIO())
    out = StringIO()
    call_command("create_api_key", "agent", "--scope", "write", stdout=out)
    plaintext = out.getvalue().strip()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}
    row = [{"metric": "up", "ts": timezone.now().isoformat(), "value": 1}]
    assert client.post("/api/v1/write", row, content_type="application/json", **auth).status_code == 200

    call_command("revoke_api_key", "agent", stdout=StringIO())

    refused = client.post("/api/v1/write", row, content_type="application/json", **auth)
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    assert listed_names() == ["old-agent"]
    assert listed_names("--all") == ["agent", "old-agent"]
    with pytest.raises(CommandError, match="no live key named 'agent'"):
        call_command("revoke_api_key", "agent", stdout=StringIO())


@pytest.fixture
def key_clock(monkeypatch):
    """The clock the remembered keys are timed by, moved by hand."""
    now = [1_000.0]
    monkeypatch.setattr(auth, "_clock", lambda: now[0])
    auth.forget_keys()
    yield now
    auth.forget_keys()


def revoke_elsewhere(name: str) -> None:
    """Revoke as another process would: this process's remembered keys stay."""
    ApiKey.objects.filter(name=name).update(revoked_at=timezone.now())


def post_row(client, plaintext):
    row = [{"metric": "up", "ts": timezone.now().isoformat(), "value": 1}]
    return client.post(
        "/api/v1/write", row, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {plaintext}"
    )


@pytest.mark.django_db
def test_a_key_revoked_elsewhere_is_refused_once_the_cache_window_passes(client, key_clock, settings):
    settings.TSMON_API_KEY_CACHE_SECONDS = 5
    _, plaintext = ApiKey.issue("agent", ["write"])
    assert post_row(client, plaintext).status_code == 200

    revoke_elsewhere("agent")
    key_clock[0] += 4.9
    assert post_row(client, plaintext).status_code == 200  # remembered, within the window
    key_clock[0] += 0.2

    refused = post_row(client, plaintext)
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]


@pytest.mark.django_db
def test_without_a_cache_window_a_revoked_key_is_refused_at_once(client, key_clock, settings):
    settings.TSMON_API_KEY_CACHE_SECONDS = 0
    _, plaintext = ApiKey.issue("agent", ["write"])
    assert post_row(client, plaintext).status_code == 200

    revoke_elsewhere("agent")

    assert post_row(client, plaintext).status_code == 401


@pytest.mark.django_db
def test_a_remembered_key_is_read_once_per_window(client, key_clock, settings, django_assert_num_queries):
    settings.TSMON_API_KEY_CACHE_SECONDS = 5
    key, plaintext = ApiKey.issue("agent", ["write"])
    authenticate_key(plaintext)
    with django_assert_num_queries(0):
        assert authenticate_key(plaintext)[1] == key
