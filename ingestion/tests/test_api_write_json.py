"""POST /api/v1/write: JSON rows and columns, through a real PostgreSQL.

Bad input (sizes, encodings, the validation rules) is tested for every path in test_bad_input.py.
"""

import datetime as dt
import json

import pytest
from django.test import override_settings

from core.scopes import ApiScope
from ingestion.models import Series

from .write_helpers import (  # noqa: F401
    client_with_key,
    epoch_s,
    fresh_caches,
    recent,
    stored_points,
    table_locked_by_another_session,
)

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/write"


def post(client, document, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return client.post(f"{URL}?{query}", json.dumps(document), content_type="application/json")


def test_it_writes_rows_and_answers_with_counts():
    t0 = recent()
    rows = [
        {"metric": "cpu_used_percent", "labels": {"host": "web-1"}, "ts": epoch_s(t0), "value": 12.5},
        {"metric": "cpu_used_percent", "labels": {"host": "web-1"}, "ts": epoch_s(t0) + 60, "value": 13.0},
        {"metric": "load1", "labels": {"host": "web-1"}, "ts": t0.isoformat(), "value": 0.5},
    ]

    response = post(client_with_key(), rows)

    assert response.status_code == 200
    assert response.data == {"written": 3, "duplicates": 0, "series_created": 2}
    assert stored_points() == [
        ('cpu_used_percent{host="web-1"}', t0, 12.5),
        ('cpu_used_percent{host="web-1"}', t0 + dt.timedelta(minutes=1), 13.0),
        ('load1{host="web-1"}', t0, 0.5),
    ]


def test_it_writes_the_columnar_form_with_millisecond_timestamps():
    t0 = recent()
    ms = epoch_s(t0) * 1000
    document = {"metric": "temp_celsius", "labels": {"room": "a"}, "ts": [ms, ms + 500], "values": [20, 21.5]}

    response = post(client_with_key(), document, precision="ms")

    assert response.status_code == 200 and response.data["written"] == 2
    assert [p[1:] for p in stored_points()] == [(t0, 20.0), (t0 + dt.timedelta(milliseconds=500), 21.5)]


def test_a_resent_batch_is_stored_once():
    rows = [{"metric": "m", "ts": epoch_s(recent()), "value": 1}]
    client = client_with_key()
    post(client, rows)

    response = post(client, rows)

    assert response.status_code == 200
    assert response.data == {"written": 0, "duplicates": 1, "series_created": 0}
    assert len(stored_points()) == 1


def test_bad_rows_are_listed_and_the_good_ones_written():
    ts = epoch_s(recent())
    rows = [
        {"metric": "ok", "ts": ts, "value": 1},
        {"metric": "bad name", "ts": ts, "value": 1},
        {"metric": "ok", "ts": ts + 1, "value": "x"},
        {"metric": "ok", "ts": ts - 400 * 86400, "value": 1},
        {"metric": "ok", "ts": ts + 3600, "value": 1},
        {"metric": "ok", "labels": {"__x": "1"}, "ts": ts, "value": 1},
    ]

    response = post(client_with_key(), rows)

    assert response.status_code == 400
    assert response.data["written"] == 1 and response.data["errors_total"] == 5
    assert [(e["line"], e["reason"].split(" ")[0]) for e in response.data["errors"]] == [
        (2, "metric"),
        (3, '"value"'),
        (4, "timestamp"),
        (5, "timestamp"),
        (6, "label"),
    ]
    assert "older than the retention period" in response.data["errors"][2]["reason"]
    assert "in the future" in response.data["errors"][3]["reason"]
    assert response.data["detail"].startswith("5 line(s) refused")
    assert [p[0] for p in stored_points()] == ["ok"]


def test_malformed_json_is_a_400_and_writes_nothing():
    response = client_with_key().post(URL, "[{", content_type="application/json")

    assert response.status_code == 400
    assert "invalid JSON" in response.data["errors"][0]["reason"]
    assert stored_points() == []


def test_it_needs_a_key_with_the_write_scope():
    rows = [{"metric": "m", "ts": epoch_s(recent()), "value": 1}]
    from rest_framework.test import APIClient

    assert APIClient().post(URL, rows, format="json").status_code == 401
    assert post(client_with_key(scopes=[ApiScope.READ]), rows).status_code == 403
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Bearer tsm_00000000_nope")
    assert bad.post(URL, rows, format="json").status_code == 401
    assert stored_points() == []


def test_an_unknown_precision_is_a_400():
    response = post(client_with_key(), [], precision="h")

    assert response.status_code == 400 and "precision" in response.data["detail"]


@override_settings(TSMON_MAX_SERIES_PER_SOURCE=2)
def test_new_series_over_the_cardinality_limit_are_refused_by_line_and_the_rest_written():
    ts = epoch_s(recent())
    rows = [{"metric": f"m{i}", "labels": {"host": "h"}, "ts": ts, "value": 1} for i in range(3)]

    response = post(client_with_key(), rows)

    assert response.status_code == 400
    assert "limit of 2 series" in str(response.data) and "m2" in str(response.data)
    assert len(stored_points()) == 2 and Series.objects.count() == 2


def test_a_database_failure_is_a_503_with_nothing_written():
    rows = [{"metric": "m", "ts": epoch_s(recent()), "value": 1}]
    client = client_with_key()
    with table_locked_by_another_session():
        response = post(client, rows)

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "nothing was written" in response.data["detail"]
    assert stored_points() == []
    assert post(client, rows).status_code == 200  # and the retry succeeds


def test_series_without_host_belong_to_the_keys_source():
    from ingestion.models import Source

    source = Source.objects.create(name="batch-job")
    rows = [{"metric": "m", "ts": epoch_s(recent()), "value": 1}]

    post(client_with_key(source=source), rows)

    assert Series.objects.get().source == source


def test_a_database_failure_while_checking_the_key_is_a_503_too():
    client = client_with_key()
    with table_locked_by_another_session("ingestion_apikey"):
        response = post(client, [{"metric": "m", "ts": epoch_s(recent()), "value": 1}])

    assert response.status_code == 503 and response["Retry-After"] == "5"
