"""The default anomalies view and the overview: incidents above a useful
score, without tsmon's own and its local agent's series unless asked."""

import pytest
from django.urls import reverse

from ingestion.models import ApiKey, Series, Source
from ingestion.own_series import LOCAL_KEY_NAME
from web.incidents import DEFAULT_MIN_SCORE
from web.tests.test_anomaly_pages import make_event, make_series

pytestmark = pytest.mark.django_db


@pytest.fixture
def user_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("gus", password="x"))
    return client


@pytest.fixture
def events():
    """An incident on web-1, a low-score wobble on web-2, and strong events on tsmon's own series."""
    agent_key, _ = ApiKey.issue(LOCAL_KEY_NAME, ["write"])
    tsmon = Source.objects.create(name="tsmon")
    lag = Series.objects.create(
        metric="tsmon_detection_lag_seconds", labels={}, key="tsmon_detection_lag_seconds"
    )
    up = Series.objects.create(metric="up", labels={"job": "self"}, key='up{job="self"}', source=tsmon)
    uptime = Series.objects.create(
        metric="uptime_seconds",
        labels={"host": "box"},
        key='uptime_seconds{host="box"}',
        created_by_key=agent_key,
    )
    return {
        "incident": make_event(make_series("web-1"), 5, score=0.95),
        "wobble": make_event(make_series("web-2"), 4, score=DEFAULT_MIN_SCORE - 0.1),
        "own": [make_event(s, h, score=1.0) for s, h in ((lag, 3), (up, 2), (uptime, 1))],
    }


def shown(response):
    return [e.pk for e in response.context["events"]]


def test_the_default_view_shows_only_incidents_and_says_what_it_hides(user_client, events):
    response = user_client.get(reverse("anomaly-list"))

    assert shown(response) == [events["incident"].pk]
    assert "without tsmon's own and its local agent's series" in response.content.decode()
    assert response.context["min_score"] == "0.7"


def test_every_event_on_request_and_each_default_undone_alone(user_client, events):
    everything = user_client.get(reverse("anomaly-list"), {"min_score": "", "own": "1"})
    own_too = user_client.get(reverse("anomaly-list"), {"own": "1"})
    low_too = user_client.get(reverse("anomaly-list"), {"min_score": ""})

    assert len(shown(everything)) == 5 and 'data-testid="default-view"' not in everything.content.decode()
    assert set(shown(own_too)) == {events["incident"].pk, *(e.pk for e in events["own"])}
    assert set(shown(low_too)) == {events["incident"].pk, events["wobble"].pk}


def test_the_overview_lists_incidents_not_tsmons_own_noise(user_client, events):
    response = user_client.get(reverse("overview"))

    assert [e.pk for e in response.context["events"]] == [events["incident"].pk]
