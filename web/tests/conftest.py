"""People and data the dashboard tests share.

Three peers of one metric (web-1 at 10, web-2 at 20 + minute % 2, web-3
counting the minutes up), one point a minute for two hours from `START`,
and a memory series of another metric beside them. The people: Ann and Ben
have the write scope (core.scopes), Cy only reads.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from ingestion.writer import write_samples
from tsmon.testing import forget_write_caches, make_samples
from web.models import Dashboard, Panel

N_MINUTES = 120
PEERS = 'cpu_usage_percent{host=~"web-.*"}'


@dataclass
class Peers:
    start: dt.datetime
    end: dt.datetime  # START + 2 h: the points are in [start, end)
    values: dict[str, np.ndarray]  # host -> one value a minute


def peer_values() -> dict[str, np.ndarray]:
    minutes = np.arange(N_MINUTES, dtype=np.float64)
    return {"web-1": np.full(N_MINUTES, 10.0), "web-2": 20 + minutes % 2, "web-3": minutes}


@pytest.fixture
def peers(db) -> Peers:
    forget_write_caches()
    start = (timezone.now() - dt.timedelta(hours=3)).replace(second=0, microsecond=0)
    values = peer_values()
    for host, series in values.items():
        write_samples(make_samples("cpu_usage_percent", {"host": host}, start, N_MINUTES, 60, series))
    write_samples(
        make_samples("memory_used_percent", {"host": "web-1"}, start, N_MINUTES, 60, [50] * N_MINUTES)
    )
    return Peers(start, start + dt.timedelta(minutes=N_MINUTES), values)


def _person(django_user_model, name: str, write: bool):
    person = django_user_model.objects.create_user(name, password="a-long-test-password")
    if write:
        person.user_permissions.add(Permission.objects.get(codename="add_point"))
    return person


@pytest.fixture
def ann(django_user_model):
    return _person(django_user_model, "ann", write=True)


@pytest.fixture
def ben(django_user_model):
    return _person(django_user_model, "ben", write=True)


@pytest.fixture
def cy(django_user_model):
    return _person(django_user_model, "cy", write=False)


@pytest.fixture
def anns_dashboard(ann) -> Dashboard:
    """Ann's dashboard: the three peers (mean per 10 min over 2 h), and memory."""
    dashboard = Dashboard.objects.create(owner=ann, title="Web hosts")
    Panel.objects.create(
        dashboard=dashboard, position=0, title="CPU", selector=PEERS, step="10m", range="now-2h"
    )
    Panel.objects.create(
        dashboard=dashboard, position=1, selector="memory_used_percent", aggregation="max", range="now-6h"
    )
    return dashboard
