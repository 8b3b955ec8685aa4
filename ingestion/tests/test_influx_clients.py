"""The InfluxDB Python clients users have, writing to a real tsmon (gunicorn).

- influxdb-client (InfluxDB 2's official client): the v2 API with a token,
  and its InfluxDB 1.8 compatibility mode (`token="user:password"`, sent as
  `Authorization: Token user:password`), where the password is the key;
- influxdb (the 1.x client): `/write` with user and password, which asks
  for MessagePack answers (`Accept: application/x-msgpack`).

Each writes a known set of points, and the points are counted back.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from core.scopes import ApiScope
from ingestion.models import ApiKey

from .write_helpers import stored_points

pytestmark = pytest.mark.django_db(transaction=True)

influxdb_client = pytest.importorskip("influxdb_client")
influxdb = pytest.importorskip("influxdb")


@pytest.fixture
def key(transactional_db) -> str:
    return ApiKey.issue("influx-clients", [ApiScope.WRITE])[1]


def points(n: int) -> list[tuple[str, float, dt.datetime]]:
    now = timezone.now().replace(microsecond=0)
    return [(f"host-{i % 3}", float(i), now - dt.timedelta(seconds=i)) for i in range(n)]


def write_with_influxdb_client(base_url: str, token: str, rows) -> None:
    from influxdb_client import InfluxDBClient, Point, WritePrecision
    from influxdb_client.client.write_api import SYNCHRONOUS

    # A generous timeout: the first request of a new server may be slow on a busy machine.
    with InfluxDBClient(url=base_url, token=token, org="any", timeout=60_000) as client:
        write_api = client.write_api(write_options=SYNCHRONOUS)
        batch = [
            Point("clients").tag("host", host).field("value", value).time(when, WritePrecision.S)
            for host, value, when in rows
        ]
        write_api.write(bucket="metrics", record=batch, write_precision=WritePrecision.S)


def test_influxdb_client_v2_api_writes(live_gunicorn, key):
    rows = points(50)

    write_with_influxdb_client(live_gunicorn, key, rows)

    assert stored(rows)


def test_influxdb_client_in_1_8_compatibility_mode_writes_with_user_and_password(live_gunicorn, key):
    rows = points(50)

    write_with_influxdb_client(live_gunicorn, f"telegraf:{key}", rows)

    assert stored(rows)


def test_the_1_x_influxdb_client_writes_with_user_and_password(live_gunicorn, key):
    parts = urlsplit(live_gunicorn)
    client = influxdb.InfluxDBClient(parts.hostname, parts.port, "telegraf", key, "metrics", timeout=60)
    rows = points(50)
    body = [
        {
            "measurement": "clients",
            "tags": {"host": host},
            "fields": {"value": value},
            "time": when.isoformat(),
        }
        for host, value, when in rows
    ]
    try:
        assert client.ping()
        assert client.write_points(body, time_precision="s") is True
    finally:
        client.close()

    assert stored(rows)


def stored(rows) -> bool:
    expected = sorted((f'clients{{host="{host}"}}', when, value) for host, value, when in rows)
    assert sorted(stored_points()) == expected
    return True
