"""Detection on a real Celery worker stores exactly what in-process detection does."""

import datetime as dt

import numpy as np
import pytest
from celery.result import GroupResult

from analytics.jobs import run_detectors
from analytics.models import Anomaly, AnomalyEvent, Detector, DetectorState
from ingestion.writer import write_samples
from tsmon.testing import make_samples
from tsmon.testing_celery import celery_worker, require_redis

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

N_POINTS = 900


@pytest.fixture
def spiky_series():
    start = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) - dt.timedelta(minutes=N_POINTS + 5)
    rng = np.random.default_rng(11)
    for host in ("a", "b", "c"):
        values = 50 + 5 * np.sin(np.arange(N_POINTS) / 30) + rng.normal(0, 1, N_POINTS)
        values[[500, 700, 820]] += 40
        write_samples(make_samples("load", {"host": host}, start, N_POINTS, 60, values))
    Detector.objects.update(enabled=False)
    Detector.objects.create(
        name="fast",
        selector="load",
        params={"min_train": 300, "retrain_every": 200, "train_size": 600, "warmup_seconds": 0},
    )


def stored_anomalies():
    return sorted(Anomaly.objects.values_list("series__key", "ts", "score", "expected", "model_version"))


def test_a_celery_worker_stores_the_same_anomalies_as_the_in_process_run(spiky_series):
    require_redis()
    run_detectors(dt.datetime.now(dt.UTC))
    in_process = stored_anomalies()
    events = AnomalyEvent.objects.count()
    assert len(in_process) >= 3
    Anomaly.objects.all().delete()
    AnomalyEvent.objects.all().delete()
    DetectorState.objects.all().delete()

    with celery_worker(TSMON_JOB_SHARDS="3") as app:
        group_id = app.send_task("tsmon.run_job", args=["detect"]).get(timeout=60)
        shards = GroupResult.restore(group_id, app=app).get(timeout=120)

    assert len(shards) == 3 and sum(s["series"] for s in shards) == 3
    assert stored_anomalies() == in_process
    assert AnomalyEvent.objects.count() == events
