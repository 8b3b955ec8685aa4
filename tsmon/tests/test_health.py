import pytest
from django.db import connection


@pytest.mark.django_db
def test_healthz_answers_200_when_the_database_answers(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.django_db(transaction=True)
def test_healthz_answers_503_when_the_database_is_unreachable(client):
    saved = dict(connection.settings_dict)
    connection.close()
    # A real connection failure: nothing listens on this socket folder.
    connection.settings_dict.update(HOST="/nonexistent-socket-dir", PORT="")
    try:
        response = client.get("/healthz")
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)

    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


@pytest.mark.django_db
def test_every_response_says_how_long_it_took(client, caplog):
    with caplog.at_level("INFO", logger="tsmon.requests"):
        response = client.get("/healthz")

    assert float(response["X-Request-Duration-ms"]) >= 0
    assert any(r.message.startswith("GET /healthz 200 ") for r in caplog.records)
