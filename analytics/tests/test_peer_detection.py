import datetime as dt

import numpy as np
import pytest

from analytics.algorithms.peer_groups import peer_groups
from analytics.jobs import run_peer_detectors
from analytics.models import Anomaly, AnomalyEvent, Detector
from ingestion.models import Series
from ingestion.writer import write_samples
from tsmon.testing import make_samples

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 11, 20, 0, 0, tzinfo=dt.UTC)
HOURS = 6


@pytest.fixture
def peers():
    rng = np.random.default_rng(1)
    for i, host in enumerate(["web-1", "web-2", "web-3", "web-4"]):
        values = 40 + rng.normal(0, 1, HOURS * 60) + i * 0.3
        if host == "web-3":
            values[180:300] += 25  # hours 3 and 4: web-3 unlike its peers
        write_samples(make_samples("cpu", {"host": host}, START, HOURS * 60, 60, values))
    Detector.objects.update(enabled=False)
    return Detector.objects.create(
        name="peers", selector="cpu", kind="peer_group", params={"window": "1h", "step": "1m"}, min_score=0.5
    )


def test_the_member_unlike_its_peers_is_flagged_in_its_windows_only(peers):
    run_peer_detectors(START + dt.timedelta(hours=HOURS))

    flagged = sorted((a.series.labels["host"], a.ts.hour) for a in Anomaly.objects.select_related("series"))
    assert flagged == [
        ("web-3", 4),
        ("web-3", 5),
    ]  # windows 03:00-04:00 and 04:00-05:00, stamped at their ends
    anomaly = Anomaly.objects.first()
    assert anomaly.kind == "peer" and anomaly.direction == 1 and anomaly.value > anomaly.expected + 20
    event = AnomalyEvent.objects.get()
    assert (event.start.hour, event.end.hour, event.n_points) == (4, 5, 2)


def test_only_complete_windows_are_judged_and_never_twice(peers):
    run_peer_detectors(START + dt.timedelta(hours=3, minutes=59))
    assert Anomaly.objects.count() == 0  # the 03:00 window is not complete yet

    run_peer_detectors(START + dt.timedelta(hours=HOURS))
    run_peer_detectors(START + dt.timedelta(hours=HOURS))
    assert Anomaly.objects.count() == 2 and AnomalyEvent.objects.count() == 1


def test_groups_are_one_metric_across_hosts_and_need_three_members():
    for host in ("a", "b", "c"):
        write_samples(make_samples("disk", {"host": host, "mount": "/"}, START, 1))
    for host in ("a", "b"):
        write_samples(make_samples("disk", {"host": host, "mount": "/data"}, START, 1))

    groups = peer_groups(Series.objects.order_by("pk"))

    assert [sorted(g.members) for g in groups] == [["a", "b", "c"]]
