"""The models that moved between apps (JobRun and JobHeartbeat to core, the
alerting models to alerts) keep every row and every permission, on a
database in the state the previous layout left it, with the demo data."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from alerts.jobs import evaluate_alert_rules
from alerts.models import Alert, AlertRule
from core.models import JobHeartbeat, JobRun
from core.schedule import job_named
from demo.configuration import create_demo_alert_rules, create_demo_detectors
from demo.loading import load_demo_data
from tsmon.testing import forget_write_caches

pytestmark = pytest.mark.django_db(transaction=True)

# The previous layout: the alerting models and JobRun in analytics, JobHeartbeat in monitoring.
BEFORE = [
    ("analytics", "0012_grafana_views_over_chunks"),
    ("monitoring", "0001_job_heartbeats"),
    ("alerts", None),
    ("core", None),
]
TABLES = [
    "analytics_alertrule",
    "analytics_alertrule_channels",
    "analytics_alert",
    "analytics_notification",
    "analytics_notificationchannel",
    "analytics_silence",
    "analytics_delivery",
    "analytics_jobrun",
    "monitoring_jobheartbeat",
]
NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)


def rows() -> dict[str, list[tuple]]:
    with connection.cursor() as cursor:
        snapshot = {}
        for table in TABLES:
            cursor.execute(f"SELECT * FROM {table} ORDER BY 1")
            snapshot[table] = cursor.fetchall()
        return snapshot


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def app_of(model: str) -> str:
    return ContentType.objects.get(model=model).app_label


@pytest.mark.timeout(600)
def test_rows_and_permissions_survive_the_move_into_core_and_alerts():
    forget_write_caches()
    load_demo_data(NOW, seed=7)
    create_demo_detectors()
    create_demo_alert_rules()
    evaluate_alert_rules(NOW)  # the demo's disk and memory rules fire
    job_named("maintain_partitions").run(NOW)  # a heartbeat
    JobRun.objects.create(job="detect", n_series=25)
    editor = get_user_model().objects.create_user("editor")
    editor.user_permissions.add(Permission.objects.get(codename="change_alertrule"))
    assert Alert.objects.exists() and JobHeartbeat.objects.exists()
    expected = rows()
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()

    migrate(BEFORE)  # the database as the previous main left it
    assert rows() == expected
    assert app_of("alertrule") == "analytics" and app_of("jobrun") == "analytics"
    assert app_of("jobheartbeat") == "monitoring"

    migrate(leaves)
    assert rows() == expected
    assert app_of("alertrule") == "alerts" and app_of("jobrun") == "core"
    assert app_of("jobheartbeat") == "core"
    assert AlertRule.objects.count() == len(expected["analytics_alertrule"])
    assert Alert.objects.count() == len(expected["analytics_alert"])
    editor = get_user_model().objects.get(username="editor")
    assert editor.has_perm("alerts.change_alertrule")
