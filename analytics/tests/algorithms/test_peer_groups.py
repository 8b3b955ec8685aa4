import datetime as dt
from types import SimpleNamespace

import numpy as np
import pandas as pd

from analytics.algorithms.peer_groups import peer_groups, peer_windows, role_of


def series(metric, **labels):
    return SimpleNamespace(metric=metric, labels=labels)


def test_a_role_is_the_host_name_without_its_number():
    assert (role_of("web-3"), role_of("db1"), role_of("alpha")) == ("web-*", "db*", "")


def test_hosts_of_one_role_are_peers_and_a_host_of_another_role_is_not():
    members = [series("cpu", host=h) for h in ("web-1", "web-2", "web-3", "db-1")]

    groups = peer_groups(members)

    assert [(g.metric, g.name, list(g.members)) for g in groups] == [
        ("cpu", "web-*", ["web-1", "web-2", "web-3"])
    ]


def test_other_labels_split_groups_and_instances_group_by_their_shared_labels():
    members = [series("disk", host=f"web-{i}", mount=m) for i in (1, 2, 3) for m in ("/", "/data")]
    members += [series("up", instance=f"10.0.0.{i}:9100", job="node") for i in (1, 2, 3)]
    members += [series("up", instance="10.0.0.9:9090", job="prometheus")]

    groups = peer_groups(members)

    assert [(g.metric, g.labels, len(g.members)) for g in groups] == [
        ("disk", (("mount", "/"),), 3),
        ("disk", (("mount", "/data"),), 3),
        ("up", (("job", "node"),), 3),
    ]


def test_hosts_whose_names_give_no_role_are_compared_with_each_other():
    groups = peer_groups([series("cpu", host=h) for h in ("alpha", "bravo", "charlie")] + [series("cpu")])

    assert [g.name for g in groups] == ["alpha, bravo, charlie"]


def test_windows_are_aligned_to_the_epoch_and_need_three_members_and_three_buckets():
    index = pd.date_range("2024-01-01 00:58", periods=100, freq="1min", tz="UTC")  # to 02:37
    frame = pd.DataFrame(np.ones((100, 3)), index=index, columns=["a", "b", "c"])
    frame.loc[pd.Timestamp("2024-01-01 02:00", tz="UTC") :, "c"] = np.nan

    windows = [
        (str(start), list(part.columns), len(part))
        for start, part in peer_windows(frame, dt.timedelta(hours=1))
    ]

    # 00:00 holds two buckets only; 02:00 has two members with values.
    assert windows == [("2024-01-01 01:00:00+00:00", ["a", "b", "c"], 60)]
