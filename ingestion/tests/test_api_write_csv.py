"""POST /api/v1/write/csv: CSV uploads, through a real PostgreSQL."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from .write_helpers import client_with_key, fresh_caches, recent, stored_points  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/write/csv"


def nab_file(t0: dt.datetime, values) -> str:
    rows = [
        f"{(t0 + dt.timedelta(minutes=5 * i)).strftime('%Y-%m-%d %H:%M:%S')},{v}"
        for i, v in enumerate(values)
    ]
    return "timestamp,value\n" + "\n".join(rows) + "\n"


def test_it_stores_a_nab_file_sent_as_the_body():
    t0 = recent(60)

    response = client_with_key().generic(
        "POST",
        f"{URL}?metric=machine_temperature&labels=host=m1,dc=x",
        nab_file(t0, [20.5, 21]),
        content_type="text/csv",
    )

    assert response.status_code == 200
    assert response.data == {"written": 2, "duplicates": 0, "series_created": 1}
    assert stored_points() == [
        ('machine_temperature{dc="x",host="m1"}', t0, 20.5),
        ('machine_temperature{dc="x",host="m1"}', t0 + dt.timedelta(minutes=5), 21.0),
    ]


def test_it_stores_a_wide_table_uploaded_as_a_form_file():
    ts = int(recent().timestamp())
    upload = SimpleUploadedFile("stats.csv", f"time,cpu,mem\n{ts},1,2\n".encode(), content_type="text/csv")

    response = client_with_key().post(f"{URL}?metric=host_stats", {"file": upload}, format="multipart")

    assert response.status_code == 200
    assert [p[0] for p in stored_points()] == ['host_stats{column="cpu"}', 'host_stats{column="mem"}']


def test_bad_rows_are_listed_by_line():
    t0 = recent(60)
    text = nab_file(t0, [1, "x", 3])

    response = client_with_key().generic("POST", f"{URL}?metric=m", text, content_type="text/csv")

    assert response.status_code == 400
    assert [(e["line"], e["reason"]) for e in response.data["errors"]] == [(3, "'x' is not a number")]
    assert len(stored_points()) == 2


@pytest.mark.parametrize(
    ("query", "message"),
    [("?metric=m&labels=oops", "is not key=value"), ("?metric=m&precision=h", "precision")],
)
def test_bad_options_are_a_400(query, message):
    response = client_with_key().generic("POST", URL + query, "ts,v\n1,2\n", content_type="text/csv")

    assert response.status_code == 400 and message in response.data["detail"]


def test_a_multipart_form_without_file_is_a_400():
    response = client_with_key().post(f"{URL}?metric=m", {"other": "x"}, format="multipart")

    assert response.status_code == 400 and "'file'" in response.data["detail"]
