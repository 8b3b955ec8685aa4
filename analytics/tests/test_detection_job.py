import datetime as dt

import numpy as np
import pytest

from analytics.jobs import run_detectors
from analytics.models import Anomaly, AnomalyEvent, Detector, DetectorState
from core.models import JobRun
from ingestion.writer import write_samples
from tsmon.testing import make_samples

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 11, 20, 0, 0, tzinfo=dt.UTC)
N_POINTS = 900
SPIKES = [500, 700, 701, 702, 820]


def write_load(host: str, n_points: int = N_POINTS, start: dt.datetime = START):
    rng = np.random.default_rng(sum(map(ord, host)))  # str hash() differs per process
    values = 50 + 5 * np.sin(np.arange(n_points) / 30) + rng.normal(0, 1, n_points)
    values[[i for i in SPIKES if i < n_points]] += 40
    write_samples(make_samples("load", {"host": host}, start, n_points, 60, values))


@pytest.fixture
def detector():
    Detector.objects.update(enabled=False)
    return Detector.objects.create(
        name="fast",
        selector="load",
        params={"min_train": 300, "retrain_every": 200, "train_size": 600, "warmup_seconds": 0},
    )


def at(minutes: int) -> dt.datetime:
    return START + dt.timedelta(minutes=minutes)


def anomalies():
    return list(
        Anomaly.objects.order_by("series_id", "ts").values_list("series__key", "ts", "score", "model_version")
    )


def test_it_finds_the_injected_spikes_with_what_it_expected_instead(detector):
    write_load("a")
    run_detectors(at(N_POINTS))

    found = {(a.ts - START) // dt.timedelta(minutes=1): a for a in Anomaly.objects.all()}
    assert {500, 700, 820} <= set(found)
    spike = found[500]
    assert spike.direction == 1 and spike.value > spike.hi and spike.expected < spike.value - 20
    assert spike.model_version == 2  # fits at points 300 and 500 came before it


def test_a_second_run_over_the_same_points_stores_nothing_twice(detector):
    write_load("a")
    run_detectors(at(N_POINTS))
    first = anomalies()

    totals = run_detectors(at(N_POINTS))

    assert totals["points"] == 0 and anomalies() == first


def test_runs_cut_at_any_times_store_what_one_run_stores(detector):
    write_load("a")
    for minutes in (123, 450, 451, 705, N_POINTS):
        run_detectors(at(minutes))
    stepwise = anomalies()
    Anomaly.objects.all().delete()
    AnomalyEvent.objects.all().delete()
    DetectorState.objects.all().delete()

    run_detectors(at(N_POINTS))

    assert anomalies() == stepwise
    assert DetectorState.objects.get().n_scored == N_POINTS


def test_neighbouring_anomalies_make_one_event_with_its_peak(detector):
    write_load("a")
    run_detectors(at(N_POINTS))

    event = AnomalyEvent.objects.get(start__lte=at(700), end__gte=at(700))
    assert event.start >= at(690), [(e.start, e.end) for e in AnomalyEvent.objects.all()]
    assert event.end >= at(702) and event.n_points >= 3
    assert event.peak_score == max(
        a.score for a in Anomaly.objects.filter(ts__gte=at(700), ts__lte=event.end)
    )


def test_a_new_host_is_watched_from_its_first_run(detector):
    write_load("a")
    run_detectors(at(N_POINTS))
    write_load("b")

    totals = run_detectors(at(N_POINTS))

    assert totals["series"] == 2 and totals["points"] == N_POINTS
    assert Anomaly.objects.filter(series__labels__host="b").exists()


def test_every_run_is_recorded_with_its_counts(detector):
    write_load("a", n_points=100)
    run_detectors(at(100))

    run = JobRun.objects.get(job="detect")
    assert run.outcome == "ok" and run.finished_at is not None
    assert run.n_series == 1 and run.n_points == 100


def test_a_failing_run_is_recorded_with_its_error(detector):
    write_load("a", n_points=10)
    detector.params = {"no_such_parameter": 1}
    detector.save()

    with pytest.raises(TypeError):
        run_detectors(at(10))

    run = JobRun.objects.get(job="detect")
    assert run.outcome == "failed" and "no_such_parameter" in run.error


def test_new_parameters_take_effect_on_series_already_learned(detector, admin_client):
    write_load("a")
    run_detectors(at(N_POINTS))
    assert DetectorState.objects.filter(detector=detector).exists() and Anomaly.objects.exists()
    other = Detector.objects.create(name="other", selector="load")
    run_detectors(at(N_POINTS), detector_ids=[other.pk])
    kept = Anomaly.objects.filter(detector=other).count()

    params = {"min_train": 400, "retrain_every": 200, "train_size": 600, "warmup_seconds": 0}
    response = admin_client.patch(
        f"/api/v1/detectors/{detector.pk}", {"params": params}, content_type="application/json"
    )

    assert response.status_code == 200
    # What the old parameters learned and found is gone; the other detector's stays.
    assert not DetectorState.objects.filter(detector=detector).exists()
    assert not Anomaly.objects.filter(detector=detector).exists()
    assert not AnomalyEvent.objects.filter(detector=detector).exists()
    assert Anomaly.objects.filter(detector=other).count() == kept
    run_detectors(at(N_POINTS), detector_ids=[detector.pk])
    # The history scored afresh: before the spike at 500 came one fit (at 400), not two (300, 500).
    spike = Anomaly.objects.get(detector=detector, ts=at(500))
    assert spike.model_version == 1
    assert DetectorState.objects.get(detector=detector).n_scored == N_POINTS


def test_saving_a_detector_unchanged_keeps_what_it_learned(detector):
    write_load("a")
    run_detectors(at(N_POINTS))
    before = anomalies()

    detector.name = "renamed"
    detector.min_score = 0.6
    detector.save()

    assert anomalies() == before and DetectorState.objects.filter(detector=detector).exists()


def test_in_its_first_day_a_series_is_learning_and_nothing_is_stored_for_it():
    Detector.objects.update(enabled=False)
    Detector.objects.create(name="fast", selector="load", params={"min_train": 300, "train_size": 600})
    write_load("a", n_points=1600)  # its spikes (500, 700, 820) are in the first day

    run_detectors(at(900))  # minutes 0 to 900
    state = DetectorState.objects.get()
    assert state.learning and state.n_scored == 901
    assert not Anomaly.objects.exists() and not AnomalyEvent.objects.exists()

    run_detectors(at(1600))
    state.refresh_from_db()
    assert not state.learning and state.n_scored == 1600
    assert not Anomaly.objects.filter(ts__lt=at(1440)).exists()
