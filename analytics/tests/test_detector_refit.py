"""New detector parameters take effect on series already scored, however they are saved.

Saving new `params` (API key, admin form) forgets the detector's states,
anomalies and events (`Detector.save`); the next run builds each series' model
afresh from its history with the new parameters. The API schema and the admin
say so. Parameters unchanged: the model goes on where it was.
"""

import datetime as dt
import json
import pickle

import numpy as np
import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from analytics.jobs import run_detectors
from analytics.models import Anomaly, AnomalyEvent, Detector, DetectorState
from ingestion.models import ApiKey
from ingestion.writer import write_samples
from tsmon.testing import make_samples

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 11, 20, 0, 0, tzinfo=dt.UTC)
N_POINTS = 900
SPIKES = [500, 700, 701, 702, 820]
OLD_PARAMS = {"min_train": 300, "retrain_every": 200, "train_size": 600, "warmup_seconds": 0}
NEW_PARAMS = {**OLD_PARAMS, "min_train": 400}


def write_load(first: int = 0, last: int = N_POINTS):
    """Minutes [first, last) of one noisy sine with spikes, the same values however it is cut."""
    rng = np.random.default_rng(7)
    values = 50 + 5 * np.sin(np.arange(N_POINTS) / 30) + rng.normal(0, 1, N_POINTS)
    values[SPIKES] += 40
    start = START + dt.timedelta(minutes=first)
    write_samples(make_samples("load", {"host": "a"}, start, last - first, 60, values[first:last]))


def at(minutes: int) -> dt.datetime:
    return START + dt.timedelta(minutes=minutes)


def model_of(detector):
    return pickle.loads(DetectorState.objects.get(detector=detector).state)


def client_with(scope: str) -> APIClient:
    _, key = ApiKey.issue(scope, [scope])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def admin_form(detector, **changes) -> dict:
    """The detector's admin change form as a browser posts it, with `changes`."""
    return {
        "name": detector.name,
        "selector": detector.selector,
        "kind": detector.kind,
        "params": json.dumps(changes.pop("params", detector.params)),
        "initial-params": json.dumps(detector.params),  # the hidden input of a field with a default
        "min_score": detector.min_score,
        "enabled": "on",
        "created_at_0": detector.created_at.strftime("%Y-%m-%d"),
        "created_at_1": detector.created_at.strftime("%H:%M:%S"),
        **changes,
    }


@pytest.fixture
def scored():
    """A detector that has scored the whole series once with OLD_PARAMS."""
    Detector.objects.update(enabled=False)
    detector = Detector.objects.create(name="fast", selector="load", params=OLD_PARAMS)
    write_load()
    run_detectors(at(N_POINTS))
    assert model_of(detector).min_train == 300
    assert Anomaly.objects.get(detector=detector, ts=at(500)).model_version == 2  # fits at 300, 500
    return detector


def test_params_patched_with_an_admin_key_rebuild_the_model_from_the_history(scored):
    response = client_with("admin").patch(
        f"/api/v1/detectors/{scored.pk}", {"params": NEW_PARAMS}, format="json"
    )
    assert response.status_code == 200 and response.data["params"] == NEW_PARAMS

    run_detectors(at(N_POINTS))

    model = model_of(scored)
    assert model.min_train == 400 and model.n_seen_ == N_POINTS
    # Found once, by the new model: one fit (at 400) before the spike at 500, not two.
    assert Anomaly.objects.filter(detector=scored, ts=at(500)).count() == 1
    assert Anomaly.objects.get(detector=scored, ts=at(500)).model_version == 1
    assert DetectorState.objects.get(detector=scored).n_scored == N_POINTS


def test_a_read_key_cannot_change_params_and_the_model_goes_on(scored):
    before = list(Anomaly.objects.values_list("pk", flat=True))

    response = client_with("read").patch(
        f"/api/v1/detectors/{scored.pk}", {"params": NEW_PARAMS}, format="json"
    )

    assert response.status_code == 403
    scored.refresh_from_db()
    assert scored.params == OLD_PARAMS and model_of(scored).min_train == 300
    assert list(Anomaly.objects.values_list("pk", flat=True)) == before


def test_params_saved_in_the_admin_form_rebuild_the_model_and_it_says_so(scored, admin_client):
    url = reverse("admin:analytics_detector_change", args=[scored.pk])

    response = admin_client.post(url, admin_form(scored, params=NEW_PARAMS))

    assert response.status_code == 302
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("for 1 series" in m and "afresh with the new parameters" in m for m in messages), messages
    assert not DetectorState.objects.filter(detector=scored).exists()
    assert not AnomalyEvent.objects.filter(detector=scored).exists()
    run_detectors(at(N_POINTS))
    assert model_of(scored).min_train == 400
    assert Anomaly.objects.get(detector=scored, ts=at(500)).model_version == 1


def test_a_detector_saved_in_the_admin_with_the_same_params_keeps_its_model(admin_client):
    Detector.objects.update(enabled=False)
    detector = Detector.objects.create(name="fast", selector="load", params=OLD_PARAMS)
    write_load(0, 600)
    run_detectors(at(600))
    found_before = list(Anomaly.objects.filter(detector=detector).values_list("pk", "ts"))
    assert model_of(detector).n_seen_ == 600 and found_before

    response = admin_client.post(
        reverse("admin:analytics_detector_change", args=[detector.pk]), admin_form(detector, min_score=0.6)
    )
    assert response.status_code == 302
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert not any("New parameters" in m for m in messages), messages

    write_load(600, N_POINTS)
    run_detectors(at(N_POINTS))

    model = model_of(detector)
    assert model.n_seen_ == N_POINTS and model.min_train == 300  # the same model, 300 points further
    kept = Anomaly.objects.filter(detector=detector, ts__lt=at(600)).values_list("pk", "ts")
    assert list(kept) == found_before


def test_the_api_schema_says_what_a_change_of_params_does():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    params = schema["components"]["schemas"]["Detector"]["properties"]["params"]

    assert "forgets what the detector learned" in params["description"]
    assert "score every watched series' history afresh" in params["description"]
