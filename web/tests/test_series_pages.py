"""The series pages: browser with search, detail with its chart, live refresh.

Labels shaped like HTML are checked escaped in test_bad_input.py.
"""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics.models import Anomaly, AnomalyEvent, Detector, Forecast
from ingestion.models import Series
from ingestion.writer import write_samples
from tsmon.testing import make_samples

pytestmark = pytest.mark.django_db


def write(metric, host, n_points=120, values=None, **labels):
    start = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(minutes=n_points)
    write_samples(make_samples(metric, {"host": host, **labels}, start, n_points, 60, values))
    return Series.objects.get(metric=metric, labels={"host": host, **labels})


@pytest.fixture
def user_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("bob", password="x"))
    return client


def test_the_pages_ask_for_a_login_and_the_live_endpoint_answers_401(client):
    series = write("cpu_usage_percent", "web-1")

    for url in (reverse("series-list"), reverse("series-detail", args=[series.pk])):
        assert client.get(url).url.startswith("/accounts/login/")
    assert client.get(reverse("series-live", args=[series.pk])).status_code == 401


def test_the_browser_searches_by_label_and_by_selector(user_client):
    write("cpu_usage_percent", "web-1")
    write("cpu_usage_percent", "web-2")
    write("memory_used_percent", "web-2")

    by_label = user_client.get(reverse("series-list"), {"label:host": "web-2"})
    by_selector = user_client.get(reverse("series-list"), {"match": 'cpu_usage_percent{host=~"web-.*"}'})

    assert [s.key for s in by_label.context["rows"]] == [
        'cpu_usage_percent{host="web-2"}',
        'memory_used_percent{host="web-2"}',
    ]
    assert len(by_selector.context["rows"]) == 2
    assert by_label.context["rows"][0].last_point[1] == 119.0


def test_a_bad_selector_says_why_and_lists_nothing(user_client):
    write("cpu_usage_percent", "web-1")

    response = user_client.get(reverse("series-list"), {"match": "cpu{host="})

    assert response.context["rows"] == []
    assert "Selector:" in response.content.decode()


def test_the_browser_costs_the_same_queries_for_more_series(user_client, django_assert_num_queries):
    write("cpu_usage_percent", "web-1")
    # The sparklines' downsampled read counts two: its chunks' sizes and its landing rows
    # (its COPY of the chunks is no query of Django's).
    with django_assert_num_queries(10):
        user_client.get(reverse("series-list"))
    for host in ("web-2", "web-3", "web-4"):
        write("cpu_usage_percent", host, mount="/")

    with django_assert_num_queries(10):
        assert len(user_client.get(reverse("series-list")).context["rows"]) == 4


def test_the_detail_chart_shows_values_band_anomalies_events_and_forecast(user_client):
    series = write("cpu_usage_percent", "web-1", values=[50.0] * 100 + [95.0] + [50.0] * 19)
    detector = Detector.objects.create(name="test", selector="cpu_usage_percent")
    spike = series.last_ts - dt.timedelta(minutes=19)
    Anomaly.objects.create(detector=detector, series=series, ts=spike, score=0.97, value=95.0, expected=50.0)
    AnomalyEvent.objects.create(
        detector=detector, series=series, start=spike, end=spike, peak_score=0.97, peak_ts=spike
    )
    future = [series.last_ts + dt.timedelta(hours=h) for h in (1, 2)]
    Forecast.objects.create(
        series=series, model="RegressionForecaster", step_seconds=3600, trained_from=series.first_ts,
        trained_to=series.last_ts, levels=[80],
        points=[{"ts": t.isoformat(), "mean": 50.0, "lo-80": 45.0, "hi-80": 55.0} for t in future],
    )  # fmt: skip

    response = user_client.get(reverse("series-detail", args=[series.pk]), {"range": "6h"})
    page = response.content.decode()

    assert response.status_code == 200
    for part in ('class="value-line"', 'class="rolling-band"', 'class="event-span"', 'class="forecast-band'):
        assert part in page, part
    assert page.count('class="anomaly-marker"') == 1
    assert response.context["loaded"].stats["max"] == 95.0
    assert response.context["live_url"].startswith(reverse("series-live", args=[series.pk]))


def test_a_window_in_the_past_does_not_refresh_itself(user_client):
    series = write("cpu_usage_percent", "web-1")
    end = (series.last_ts - dt.timedelta(minutes=30)).strftime("%Y-%m-%d %H:%M")

    response = user_client.get(reverse("series-detail", args=[series.pk]), {"range": "1h", "end": end})

    assert "live_url" not in response.context
    assert response.context["picked"].end.strftime("%Y-%m-%d %H:%M") == end
    # A 24-hour text field that names its zone, showing the end as it was typed.
    assert f'name="end" value="{end}"' in response.content.decode()
    assert (
        'placeholder="YYYY-MM-DD HH:MM"' in response.content.decode()
        and "> UTC</label>" in response.content.decode()
    )


def test_the_end_may_be_typed_with_a_t_or_a_space_or_an_offset(user_client):
    series = write("cpu_usage_percent", "web-1")
    wanted = (series.last_ts - dt.timedelta(minutes=30)).replace(second=0, microsecond=0)
    url = reverse("series-detail", args=[series.pk])

    for text in (f"{wanted:%Y-%m-%dT%H:%M}", f"{wanted:%Y-%m-%d %H:%M}", f"{wanted:%Y-%m-%dT%H:%M}+00:00"):
        assert user_client.get(url, {"range": "1h", "end": text}).context["picked"].end == wanted, text


def test_the_live_endpoint_sends_fragments_only_when_something_changed(user_client):
    series = write("cpu_usage_percent", "web-1")
    url = reverse("series-live", args=[series.pk])
    first = user_client.get(url).json()

    unchanged = user_client.get(url, {"stamp": first["stamp"]}).json()
    write_samples(make_samples("cpu_usage_percent", {"host": "web-1"}, timezone.now(), 1, values=[7.5]))
    changed = user_client.get(url, {"stamp": first["stamp"]}).json()

    assert set(first["fragments"]) == {"chart", "stats", "events"}
    assert unchanged == {"stamp": first["stamp"]}
    assert changed["stamp"] != first["stamp"] and "7.5" in changed["fragments"]["stats"]


@pytest.mark.parametrize(("minutes", "default"), [(30, "1h"), (300, "6h"), (600, "24h"), (5 * 1440, "7d")])
def test_the_detail_shows_all_of_a_young_series_and_a_week_of_an_older_one(user_client, minutes, default):
    series = write("cpu_usage_percent", "web-1", n_points=minutes)

    page = user_client.get(reverse("series-detail", args=[series.pk]))

    assert page.context["picked"].key == default
    assert f"?range={default}" in page.context["live_url"]  # the refresh keeps the range it began with
    assert (
        user_client.get(reverse("series-detail", args=[series.pk]), {"range": "1h"}).context["picked"].key
        == "1h"
    )
