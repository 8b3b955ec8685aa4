import datetime as dt
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command

from demo import data as demo
from ingestion.models import Series, Source
from tsmon.testing import stored_point_count

END = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)


def test_the_demo_is_the_same_for_the_same_seed_and_differs_for_another():
    first, again, other = (
        demo.build_demo(END, seed=7),
        demo.build_demo(END, seed=7),
        demo.build_demo(END, seed=8),
    )

    assert all(np.array_equal(a.values, b.values) for a, b in zip(first.series, again.series, strict=True))
    assert not np.array_equal(first.series[0].values, other.series[0].values)


def test_the_demo_spans_14_days_at_one_minute():
    data = demo.build_demo(END)

    assert len(data.timestamps_us) == 14 * 24 * 60
    assert np.all(np.diff(data.timestamps_us) == 60_000_000)
    assert data.timestamps_us[-1] == int(END.timestamp()) * 1_000_000


def test_the_injected_spike_is_where_the_anomaly_list_says():
    data = demo.build_demo(END)
    spike = next(a for a in data.anomalies if a.kind == "spike")
    cpu = next(s for s in data.series if s.metric == spike.metric and s.labels["host"] == spike.host)
    inside = (data.timestamps_us >= spike.start.timestamp() * 1e6) & (
        data.timestamps_us < spike.end.timestamp() * 1e6
    )

    assert inside.sum() == 6
    assert cpu.values[inside].min() > 90
    assert np.median(cpu.values[~inside]) < 60


def test_the_db_disk_fills_towards_full_within_a_week_after_the_data_ends():
    data = demo.build_demo(END)
    disk = next(s for s in data.series if s.labels.get("mount") == "/var/lib/postgresql")
    per_day = (disk.values[-1440:].mean() - disk.values[:1440].mean()) / 13
    days_left = (100 - disk.values[-1]) / per_day

    assert 1 < days_left < 7


@pytest.mark.django_db
def test_seed_demo_writes_every_series_with_capacities_and_is_skipped_when_data_exists():
    out = StringIO()
    call_command("seed_demo", "--end", "2026-11-21T12:00:00Z", stdout=out)

    assert Series.objects.count() == 25
    assert stored_point_count() == 25 * 14 * 24 * 60
    assert set(Source.objects.values_list("name", flat=True)) == {"web-1", "web-2", "web-3", "web-4", "db-1"}
    assert Series.objects.filter(metric="disk_used_percent", capacity=100).count() == 6
    assert "6 injected anomalies" in out.getvalue()

    from alerts.models import AlertRule

    assert set(AlertRule.objects.values_list("name", flat=True)) == {
        "disk full within 7 days",
        "memory above 80 %",
    }

    out = StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert "nothing written" in out.getvalue()
    assert stored_point_count() == 25 * 14 * 24 * 60


@pytest.mark.django_db
def test_the_demo_alert_rules_fire_for_the_filling_disk_and_the_leaking_memory():
    from alerts.jobs import evaluate_alert_rules
    from alerts.models import Alert
    from analytics.jobs import run_forecasts

    end = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    call_command("seed_demo", "--end", end.isoformat(), stdout=StringIO())
    run_forecasts(end)
    evaluate_alert_rules(end)

    firing = {
        (a.rule.name, a.series.key)
        for a in Alert.objects.filter(state="firing").select_related("rule", "series")
    }
    assert ("disk full within 7 days", 'disk_used_percent{host="db-1",mount="/var/lib/postgresql"}') in firing
    assert ("memory above 80 %", 'memory_used_percent{host="web-2"}') in firing
    assert not any(key.startswith("cpu") for _, key in firing)
