"""The person's time zone: chosen on the preferences page, else the browser's,
else the site's; used by the pages that follow it, never by the API."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from analytics.models import AnomalyEvent, Detector
from core.time_zones import BROWSER_COOKIE, CHOICE_COOKIE
from ingestion.models import ApiKey, Series
from web.time_picker import pick_range, range_around

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 11, 28, 14, 0, tzinfo=dt.UTC)  # 23:00 in Tokyo, 15:00 in Berlin


@pytest.fixture
def person(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("hana", password="x"))
    return client


@pytest.fixture
def event(settings):
    settings.TIME_ZONE = "UTC"
    series = Series.objects.create(metric="cpu", labels={"host": "web-1"}, key='cpu{host="web-1"}')
    detector = Detector.objects.create(name="d", selector="cpu")
    return AnomalyEvent.objects.create(
        detector=detector, series=series, start=START, end=START + dt.timedelta(minutes=6),
        peak_score=0.9, peak_ts=START, n_points=6,
    )  # fmt: skip


def anomalies_page(client) -> str:
    return client.get(reverse("anomaly-list"), {"range": "30d"}).content.decode()


def test_pages_use_the_site_zone_then_the_browsers_then_the_chosen_one(person, event):
    assert "Nov 28 14:00" in anomalies_page(person)
    assert 'data-zone-source="site"' in anomalies_page(person)

    person.cookies[BROWSER_COOKIE] = "Asia/Tokyo"
    page = anomalies_page(person)
    assert "Nov 28 23:00" in page and 'data-time-zone="Asia/Tokyo" data-zone-source="browser"' in page

    person.cookies[CHOICE_COOKIE] = "Europe/Berlin"
    page = anomalies_page(person)
    assert "Nov 28 15:00" in page and 'data-zone-source="chosen"' in page


def test_a_zone_that_is_not_one_is_ignored(person, event):
    person.cookies[BROWSER_COOKIE] = "../../etc/passwd"
    person.cookies[CHOICE_COOKIE] = "Mars/Olympus"
    page = anomalies_page(person)
    assert "Nov 28 14:00" in page and 'data-zone-source="site"' in page


def test_the_preferences_page_stores_a_choice_and_takes_it_back(person, event):
    response = person.post(reverse("preferences"), {"time_zone": "Asia/Tokyo"}, follow=True)
    assert response.client.cookies[CHOICE_COOKIE].value == "Asia/Tokyo"
    assert "Times are now shown in Asia/Tokyo" in response.content.decode()
    assert "Nov 28 23:00" in anomalies_page(person)

    refused = person.post(reverse("preferences"), {"time_zone": "Tokyo"}, follow=True)
    assert "is not a time zone" in refused.content.decode()
    assert person.cookies[CHOICE_COOKIE].value == "Asia/Tokyo"

    person.post(reverse("preferences"), {"time_zone": ""})
    assert person.cookies[CHOICE_COOKIE].value == ""  # deleted
    assert "Nov 28 14:00" in anomalies_page(person)


def test_the_preferences_page_needs_a_login_and_the_csrf_token(django_user_model):
    assert Client().get(reverse("preferences")).url.startswith("/accounts/login/")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(django_user_model.objects.create_user("ivo", password="x"))
    assert strict.post(reverse("preferences"), {"time_zone": "Asia/Tokyo"}).status_code == 403


def test_the_api_answers_in_utc_whatever_the_cookies(event):
    _, key = ApiKey.issue("dash", ["read"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    api.cookies[CHOICE_COOKIE] = "Asia/Tokyo"

    one = api.get(f"/api/v1/anomaly-events/{event.pk}").data

    assert one["start"] == "2026-11-28T14:00:00Z"


def test_the_series_page_follows_the_persons_zone_in_its_list_chart_and_picker(person, event):
    person.cookies[CHOICE_COOKIE] = "Asia/Tokyo"
    url = reverse("series-detail", args=[event.series_id])

    page = person.get(url, {"range": "30d"}).content.decode()
    # An end typed in the picker is read in that zone too: midnight in Tokyo is 15:00 UTC.
    typed = person.get(url, {"range": "1h", "end": "2026-11-29 00:00"})

    assert "Nov 28 23:00" in page and 'data-time-zone="Asia/Tokyo" data-zone-source="chosen"' in page
    assert "a date and a 24-hour time in Asia/Tokyo" in page
    picked = typed.context["picked"]
    assert (
        picked.end == dt.datetime(2026, 11, 28, 15, 0, tzinfo=dt.UTC)
        and picked.end_text == "2026-11-29 00:00"
    )


def test_links_to_a_window_carry_their_offset_so_any_page_reads_the_same_instant(settings):
    settings.TIME_ZONE = "UTC"
    now = START + dt.timedelta(days=10)
    with timezone.override("Asia/Tokyo"):
        query = range_around(START, START + dt.timedelta(minutes=6), now)
    assert query["end"].endswith("+09:00")
    picked = pick_range(query, now)  # read as the series page reads it, in the site's zone
    assert picked.start <= START < picked.end
    assert picked.end_text == picked.end.strftime("%Y-%m-%d %H:%M")  # shown in the site's zone (UTC)
