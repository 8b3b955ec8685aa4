"""The bad-input catalogue: each kind of bad input, on each write path, in one place.

Every row is a test that fails if the behaviour regresses. The write paths
are JSON (/api/v1/write), InfluxDB line protocol (/api/v2/write),
Prometheus remote write (/api/v1/prom/write) and CSV (/api/v1/write/csv, a
raw body or a form upload).

| Input | Answer | Stored |
| --- | --- | --- |
| a body over TSMON_MAX_BODY_BYTES, raw or once gunzipped; a batch over TSMON_MAX_POINTS_PER_REQUEST | 413 naming the limit | nothing |
| gzip that is broken or cut short | 400 saying so | nothing |
| a Content-Encoding tsmon does not read | 415 | nothing |
| a line that is not UTF-8 | 400 naming the line (JSON: "invalid JSON") | line protocol: the other lines; else nothing |
| NaN or ±infinity; a time older than the retention or over 10 minutes ahead | 400 naming the line and the reason | the other lines |
| remote write: NaN or ±infinity (staleness markers, Prometheus' own NaNs) | 204: skipped, not refused (a 400 fails the whole batch in Prometheus) | the other samples |
| a label with an empty value (`model=""`) | accepted: it is no label, as in Prometheus | the series without that label |
| a new series past TSMON_MAX_SERIES_PER_SOURCE, TSMON_MAX_SERIES_PER_KEY or TSMON_MAX_SERIES | 400 naming the line and the limit | the other lines |
| a name, label key or value over its limit, too many labels, a series key over 2048 bytes, NUL in a value | 400 naming the line and the reason | the other lines |
| a metric name or label key outside the Prometheus grammar (SQL- or HTML-shaped, say) | 400 naming the line and the reason; line protocol maps the characters to `_` (Telegraf's rule) | the other lines |
| SQL- or HTML-shaped label values | accepted | exactly as sent; escaped on the pages and in reports, as sent in JSON and CSV |
| `$...$` in a unit | accepted | drawn as text in report charts, never as mathtext |
| line protocol: two fields of a line mapping to one metric (`a.b` and `a_b`, a key twice) | 400 naming the line and both fields | the other lines |
| line protocol: an integer beyond 2^53; nanoseconds | accepted | the nearest float64 (as Prometheus keeps values); microseconds, truncated towards the past |
| a Unicode label value, NFC or NFD | accepted | exactly as sent: the two forms are two series (as in Prometheus and InfluxDB) |

A refused line leaves nothing behind: no point and no series row (the
partial-write rule of ingestion/api.py: the batch's good lines are written).
The rules themselves are in ingestion/validation.py; other files test the
answers' shapes (test_api_write_*.py) and the parsers line by line.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import math
import urllib.parse
from typing import NamedTuple

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from analytics.models import Anomaly, AnomalyEvent, Detector
from ingestion.models import Series
from reports import jobs as report_jobs
from reports.models import Report
from web import report_charts

from .parsers.protobuf_encoding import compress, field_bytes, sample_message, series_message, write_request
from .write_helpers import client_with_key, fresh_caches, recent, stored_points  # noqa: F401

pytestmark = pytest.mark.django_db

SQL = "'; DROP TABLE ingestion_series;--"
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
MATHTEXT = r"$\foo$ costs $x^2$"
SHAPED_VALUES = {"sql": SQL, "script": SCRIPT, "img": IMG, "mathtext": MATHTEXT}


class Point(NamedTuple):
    metric: str
    labels: dict
    ts: int  # epoch seconds
    value: float


def good_point() -> Point:
    return Point("ok", {"host": "web-1"}, int(recent().timestamp()), 1.0)


# Each write path: how to send points, and how its refused lines are numbered.


def send_json(client, points: list[Point], **headers):
    rows = [{"metric": p.metric, "labels": p.labels, "ts": p.ts, "value": p.value} for p in points]
    return send(client, "/api/v1/write", json.dumps(rows).encode(), "application/json", **headers)


def send_line_protocol(client, points: list[Point], **headers):
    lines = [
        f"{_escape(p.metric, ', ')}{''.join(f',{_escape(k)}={_escape(v)}' for k, v in p.labels.items())}"
        f" value={p.value!r} {p.ts}"
        for p in points
    ]
    url = "/api/v2/write?bucket=b&precision=s"
    return send(client, url, "\n".join(lines).encode(), "text/plain", **headers)


def send_remote_write(client, points: list[Point], **headers):
    series = [series_message({"__name__": p.metric, **p.labels}, [(p.value, p.ts * 1000)]) for p in points]
    return send_protobuf(client, compress(write_request(series)), **headers)


def send_csv(client, points: list[Point], **headers):
    """One series per request: metric and labels from the first point."""
    first = points[0]
    query = urllib.parse.urlencode(
        {"metric": first.metric, "labels": ",".join(f"{k}={v}" for k, v in first.labels.items())}
    )
    body = "ts,value\n" + "".join(f"{p.ts},{p.value!r}\n" for p in points)
    return send(client, f"/api/v1/write/csv?{query}", body.encode(), "text/csv", **headers)


def send(client, url: str, body: bytes, content_type: str, **headers):
    return client.generic("POST", url, body, content_type=content_type, **headers)


def send_protobuf(client, body: bytes, **headers):
    headers = {"HTTP_CONTENT_ENCODING": "snappy", **headers}
    return send(client, "/api/v1/prom/write", body, "application/x-protobuf", **headers)


def _escape(text: str, escapable: str = ",= ") -> str:
    return "".join(f"\\{c}" if c in escapable else c for c in text)


SENDERS = {"json": send_json, "line protocol": send_line_protocol, "remote write": send_remote_write}
# CSV names its one series in the query string; a bad row is a line of the
# file after the header, so the second point is line 3 there, line 2 elsewhere.
SENDERS_WITH_CSV = {**SENDERS, "csv": send_csv}
SECOND_LINE = {"json": 2, "line protocol": 2, "remote write": 2, "csv": 3}


def refused(response) -> list[tuple[int, str]]:
    """(line, reason) of each refused line, in every path's answer."""
    return [(e["line"], e["reason"]) for e in response.json()["errors"]]


def message(response) -> str:
    """The whole-request error: `detail`, or InfluxDB's `message`."""
    body = response.json()
    return body.get("detail") or body["message"]


def assert_nothing_stored():
    assert stored_points() == []
    assert not Series.objects.exists()


def test_two_line_protocol_fields_mapping_to_one_metric_refuse_the_line_and_store_the_rest():
    ts = good_point().ts
    body = f"disk,host=a io.read=1,io_read=2 {ts}\ndisk,host=a io_write=3 {ts}"

    response = send(client_with_key(), "/api/v2/write?bucket=b&precision=s", body.encode(), "text/plain")

    assert response.status_code == 400
    assert refused(response) == [(1, "fields 'io.read' and 'io_read' both map to metric 'disk_io_read'")]
    assert [(key, value) for key, _, value in stored_points()] == [('disk_io_write{host="a"}', 3.0)]


# Cardinality: the lines of new series past a series limit are refused, the rest is written.


def points_of_new_hosts(n: int, prefix: str = "h") -> list[Point]:
    """One point of a new series on each of `n` new hosts: the per-host limit never applies."""
    return [good_point()._replace(labels={"host": f"{prefix}{i}"}) for i in range(n)]


@pytest.mark.parametrize(
    "setting, whose", [("TSMON_MAX_SERIES_PER_KEY", "API key 'test'"), ("TSMON_MAX_SERIES", "tsmon")]
)
@pytest.mark.parametrize("sender", SENDERS.values(), ids=SENDERS)
def test_new_series_past_the_key_or_global_limit_refuse_their_lines_on_every_path(sender, setting, whose):
    with override_settings(**{setting: 2}):
        response = sender(client_with_key(), points_of_new_hosts(3))

    assert response.status_code == 400
    [(line, reason)] = refused(response)
    assert line == 3 and f"past its limit of 2 series ({setting})" in reason and whose in reason
    assert sorted(s.labels["host"] for s in Series.objects.all()) == ["h0", "h1"]


@override_settings(TSMON_MAX_SERIES_PER_KEY=2)
def test_a_key_cannot_pass_its_series_limit_by_inventing_hosts_but_another_key_can_write():
    key = client_with_key()
    assert send_json(key, points_of_new_hosts(2)).status_code == 200

    again = send_json(key, points_of_new_hosts(1, prefix="other"))
    known = send_json(key, [p._replace(ts=p.ts - 1) for p in points_of_new_hosts(2)])
    another = send_json(client_with_key(), points_of_new_hosts(1, prefix="other"))

    assert again.status_code == 400 and "TSMON_MAX_SERIES_PER_KEY" in refused(again)[0][1]
    assert known.status_code == 200  # points of the key's own series still go in
    assert another.status_code == 200
    assert Series.objects.count() == 3


# Sizes: 413 naming the limit, nothing stored.

LIMIT = 2048


def many_points(n: int = 200) -> list[Point]:
    point = good_point()
    return [point._replace(ts=point.ts - i) for i in range(n)]


def send_csv_upload(client, points: list[Point], **headers):
    body = "ts,value\n" + "".join(f"{p.ts},{p.value!r}\n" for p in points)
    upload = SimpleUploadedFile("points.csv", body.encode(), content_type="text/csv")
    return client.post("/api/v1/write/csv?metric=ok", {"file": upload}, format="multipart", **headers)


@pytest.mark.parametrize(
    "sender", [*SENDERS_WITH_CSV.values(), send_csv_upload], ids=[*SENDERS_WITH_CSV, "csv upload"]
)
def test_a_body_over_the_limit_is_a_413_naming_it_on_every_path(sender):
    with override_settings(TSMON_MAX_BODY_BYTES=LIMIT):
        response = sender(client_with_key(), many_points())

    assert response.status_code == 413
    assert f"limit of {LIMIT} bytes" in message(response)
    assert_nothing_stored()


def repeated_lines(n_lines: int) -> dict[str, tuple[str, str]]:
    """(url, body of `n_lines` equal lines) for each path that reads gzip."""
    ts = good_point().ts
    return {
        "json": ("/api/v1/write", "[" + ",".join([f'{{"metric":"m","ts":{ts},"value":1}}'] * n_lines) + "]"),
        "line protocol": ("/api/v2/write?bucket=b&precision=s", f"m value=1 {ts}\n" * n_lines),
        "csv": ("/api/v1/write/csv?metric=m", "ts,value\n" + f"{ts},1\n" * n_lines),
    }


@pytest.mark.parametrize("path", ["json", "line protocol", "csv"])
def test_a_gzip_bomb_is_a_413_once_the_limit_is_inflated(path):
    url, text = repeated_lines(40_000)[path]
    bomb = gzip.compress(text.encode())

    with override_settings(TSMON_MAX_BODY_BYTES=100_000):
        response = send(client_with_key(), url, bomb, "text/plain", HTTP_CONTENT_ENCODING="gzip")

    assert len(bomb) < 20_000 and len(text) > 500_000
    assert response.status_code == 413
    assert "limit of 100000 bytes (decompressed)" in message(response)
    assert_nothing_stored()


def test_a_remote_write_body_announcing_more_than_the_limit_is_a_413_before_decompressing():
    body = compress(write_request([series_message({"__name__": "m"}, [(1.0, 1)] * 200)]))

    with override_settings(TSMON_MAX_BODY_BYTES=len(body) + 10):
        response = send_protobuf(client_with_key(), body)

    assert response.status_code == 413
    assert_nothing_stored()


@pytest.mark.parametrize("sender", SENDERS_WITH_CSV.values(), ids=SENDERS_WITH_CSV)
@override_settings(TSMON_MAX_POINTS_PER_REQUEST=2)
def test_a_batch_over_the_point_limit_is_a_413_naming_it_on_every_path(sender):
    response = sender(client_with_key(), many_points(3))

    assert response.status_code == 413
    assert "3 points in one request, over the limit of 2" in message(response)
    assert_nothing_stored()


# Encodings: broken gzip is a 400 saying so, an unknown encoding a 415.

BROKEN_GZIP = {
    "garbage": (b"\x1f\x8b\x08garbage", "body is not valid gzip"),
    "truncated": (gzip.compress(b"m value=1\n")[:-8], "gzip body is truncated"),
}


@pytest.mark.parametrize("body", BROKEN_GZIP, ids=BROKEN_GZIP)
@pytest.mark.parametrize("path", ["json", "line protocol", "csv"])
def test_broken_gzip_is_a_400_saying_so(path, body):
    url = repeated_lines(1)[path][0]
    data, reason = BROKEN_GZIP[body]

    response = send(client_with_key(), url, data, "text/plain", HTTP_CONTENT_ENCODING="gzip")

    assert response.status_code == 400
    assert reason in message(response)
    assert_nothing_stored()


@pytest.mark.parametrize("sender", SENDERS_WITH_CSV.values(), ids=SENDERS_WITH_CSV)
def test_an_encoding_tsmon_cannot_read_is_a_415(sender):
    response = sender(client_with_key(), [good_point()], HTTP_CONTENT_ENCODING="br")

    assert response.status_code == 415
    assert "'br'" in message(response)
    assert_nothing_stored()


def test_a_line_that_is_not_utf8_is_refused_by_number_and_the_others_written_in_line_protocol():
    ts = good_point().ts
    body = f"ok value=1 {ts}\n".encode() + b"m,host=\xff value=2\n"

    response = send(client_with_key(), "/api/v2/write?bucket=b&precision=s", body, "text/plain")

    assert response.status_code == 400
    assert refused(response) == [(2, "line is not valid UTF-8")]
    assert [p[0] for p in stored_points()] == ["ok"]


def test_a_csv_line_that_is_not_utf8_refuses_the_file_naming_the_line():
    ts = good_point().ts
    body = f"ts,value\n{ts},1\n".encode() + b"\xff\xfe,2\n"

    response = send(client_with_key(), "/api/v1/write/csv?metric=m", body, "text/csv")

    assert response.status_code == 400
    assert message(response) == "line 3 is not valid UTF-8"
    assert_nothing_stored()


def test_a_json_body_that_is_not_utf8_is_invalid_json():
    body = b'[{"metric": "m", "labels": {"host": "\xff"}, "value": 1}]'

    response = send(client_with_key(), "/api/v1/write", body, "application/json")

    assert response.status_code == 400
    assert "invalid JSON" in refused(response)[0][1]
    assert_nothing_stored()


def test_a_remote_write_label_that_is_not_utf8_refuses_the_request():
    label = field_bytes(1, field_bytes(1, b"__name__") + field_bytes(2, b"m\xff"))
    sample = field_bytes(2, sample_message(1.0, good_point().ts * 1000))

    response = send_protobuf(client_with_key(), compress(write_request([label + sample])))

    assert response.status_code == 400
    assert "not valid UTF-8" in refused(response)[0][1]
    assert_nothing_stored()


# The rules every line must pass: the bad line is refused with its number
# and reason, the good line beside it is written.

VALUE_AND_TIME_RULES = {
    "nan": (lambda p: p._replace(value=math.nan), "value nan is not a finite number"),
    "infinity": (lambda p: p._replace(value=math.inf), "value inf is not a finite number"),
    "minus infinity": (lambda p: p._replace(value=-math.inf), "value -inf is not a finite number"),
    "older than the retention": (lambda p: p._replace(ts=p.ts - 31 * 86400), "older than the retention"),
    "in the future": (lambda p: p._replace(ts=p.ts + 3600), "more than 10 minutes in the future"),
}


def with_labels(**labels):
    return lambda p: p._replace(labels={**p.labels, **labels})


SERIES_RULES = {
    "metric name too long": (lambda p: p._replace(metric="m" * 201), "over the limit of 200"),
    "label key too long": (with_labels(**{"k" * 201: "v"}), "over the limit of 200"),
    "label value too long": (with_labels(job="v" * 1025), "over the limit of 1024"),
    "host longer than a host name": (with_labels(host="h" * 254), "a host name's limit of 253"),
    "too many labels": (with_labels(**{f"k{i}": "v" for i in range(30)}), "31 labels, over the limit of 30"),
    "series key too long": (with_labels(a="v" * 900, b="v" * 900, c="v" * 900), "over the limit of 2048"),
    "NUL in a label value": (with_labels(job="a\x00b"), "contains a NUL character"),
    "reserved label key": (with_labels(__job="x"), "is reserved"),
}


def assert_second_line_refused_and_first_written(response, path: str, reason: str, good: Point):
    assert response.status_code == 400
    ((line, said),) = refused(response)
    assert line == SECOND_LINE[path]
    assert reason in said
    assert [(key, value) for key, _, value in stored_points()] == [
        (Series.make_key(good.metric, good.labels), 1.0)
    ]
    assert Series.objects.count() == 1


NOT_FINITE = ("nan", "infinity", "minus infinity")


@pytest.mark.parametrize(
    "path, rule",
    [
        (path, rule)
        for path in SENDERS_WITH_CSV
        for rule in VALUE_AND_TIME_RULES
        if not (path == "remote write" and rule in NOT_FINITE)
    ],
)
def test_bad_values_and_times_are_refused_by_line_on_every_path(path, rule):
    make_bad, reason = VALUE_AND_TIME_RULES[rule]
    good = good_point()

    response = SENDERS_WITH_CSV[path](client_with_key(), [good, make_bad(good._replace(ts=good.ts + 1))])

    assert_second_line_refused_and_first_written(response, path, reason, good)


@pytest.mark.parametrize("rule", NOT_FINITE)
def test_remote_write_skips_values_that_are_not_finite_and_answers_204(rule):
    """Prometheus sends NaN (staleness markers, and its own metrics' values):
    a 400 would count the whole batch as failed there. They are not stored."""
    make_bad, _ = VALUE_AND_TIME_RULES[rule]
    good = good_point()

    response = send_remote_write(client_with_key(), [good, make_bad(good._replace(ts=good.ts + 1))])

    assert response.status_code == 204
    assert [(key, value) for key, _, value in stored_points()] == [
        (Series.make_key(good.metric, good.labels), 1.0)
    ]


@pytest.mark.parametrize("path", SENDERS)
def test_a_label_with_an_empty_value_is_no_label_on_every_path(path):
    good = good_point()

    response = SENDERS[path](client_with_key(), [good._replace(labels={**good.labels, "model": ""})])

    assert response.status_code in (200, 204)
    assert [key for key, _, _ in stored_points()] == [Series.make_key(good.metric, good.labels)]


@pytest.mark.parametrize("rule", SERIES_RULES, ids=SERIES_RULES)
@pytest.mark.parametrize("path", SENDERS)
def test_bad_names_and_labels_are_refused_by_line(path, rule):
    make_bad, reason = SERIES_RULES[rule]
    good = good_point()

    response = SENDERS[path](client_with_key(), [good, make_bad(good)])

    assert_second_line_refused_and_first_written(response, path, reason, good)


def test_csv_options_naming_a_bad_series_refuse_every_row():
    response = send_csv(client_with_key(), [good_point()._replace(labels={"job": "v" * 1025})] * 2)

    assert response.status_code == 400
    assert [line for line, _ in refused(response)] == [2, 3]
    assert all("over the limit of 1024" in reason for _, reason in refused(response))
    assert_nothing_stored()


SHAPED_NAMES = {
    "sql": "x'; DROP TABLE ingestion_series;--",
    "html": "<script>alert(1)</script>",
    "nul": "x\x00",
}


@pytest.mark.parametrize("name", SHAPED_NAMES.values(), ids=SHAPED_NAMES)
@pytest.mark.parametrize("path", ["json", "remote write"])
def test_metric_names_and_label_keys_outside_the_grammar_are_refused(path, name):
    good = good_point()
    bad = [good._replace(metric=name), good._replace(labels={name: "v"})]

    response = SENDERS[path](client_with_key(), [good, *bad])

    assert response.status_code == 400
    assert [line for line, _ in refused(response)] == [2, 3]
    assert "is not a valid Prometheus name" in refused(response)[0][1]
    assert "is not a valid Prometheus label name" in refused(response)[1][1]
    assert Series.objects.count() == 1


def test_line_protocol_maps_characters_outside_the_grammar_to_underscores():
    good = good_point()
    points = [good._replace(metric=SHAPED_NAMES["sql"]), good._replace(labels={SHAPED_NAMES["html"]: "v"})]

    response = send_line_protocol(client_with_key(), points)

    assert response.status_code == 204
    assert sorted(Series.objects.values_list("key", flat=True)) == [
        'ok{_script_alert_1___script_="v"}',
        'x___DROP_TABLE_ingestion_series___{host="web-1"}',
    ]


# Label values shaped like SQL or HTML are data: stored exactly as sent.


@pytest.mark.parametrize("path", SENDERS_WITH_CSV)
def test_sql_and_html_shaped_label_values_are_stored_exactly_as_sent(path):
    good = good_point()
    points = [good._replace(labels={"host": "web-1", "job": value}) for value in SHAPED_VALUES.values()]
    if path == "csv":  # one series per request
        responses = [send_csv(client_with_key(), [point]) for point in points]
    else:
        responses = [SENDERS[path](client_with_key(), points)]

    assert all(response.status_code in (200, 204) for response in responses)
    stored = Series.objects.values_list("labels", flat=True)
    assert sorted(labels["job"] for labels in stored) == sorted(SHAPED_VALUES.values())
    assert len(stored_points()) == len(SHAPED_VALUES)


# ... and shown escaped wherever they are shown.


@pytest.fixture
def shaped_series(db):
    """A series with SQL- and HTML-shaped labels and a `$...$` unit, with an
    anomaly event and a finished anomaly report."""
    now = timezone.now().replace(second=0, microsecond=0)
    start = now - dt.timedelta(hours=6)
    points = [Point("cpu_usage_percent", {"host": "web-1", **SHAPED_VALUES}, 0, 50.0)]
    t0 = int(start.timestamp())
    values = [50.0] * 300 + [95.0] + [50.0] * 59
    send_json(client_with_key(), [points[0]._replace(ts=t0 + 60 * i, value=v) for i, v in enumerate(values)])
    series = Series.objects.get()
    series.unit = MATHTEXT
    series.save()
    detector = Detector.objects.create(name="cpu", selector="cpu_usage_percent")
    spike = start + dt.timedelta(minutes=300)
    Anomaly.objects.create(detector=detector, series=series, ts=spike, score=0.97, value=95.0, expected=50.0)
    AnomalyEvent.objects.create(
        detector=detector, series=series, start=spike, end=spike, peak_score=0.97, peak_ts=spike
    )
    report = report_jobs.request_report("anomaly", now, start=start)
    report_jobs.process_pending_reports(now)
    return series, Report.objects.get(pk=report.pk)


@pytest.fixture
def user_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("bob", password="x"))
    return client


def assert_escaped(html: str):
    for value in (SCRIPT, IMG):
        assert value not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html


@pytest.mark.parametrize("page", ["series-list", "series-detail", "anomaly-list"])
def test_the_pages_show_the_labels_escaped(shaped_series, user_client, page):
    series, _ = shaped_series
    url = reverse(page, args=[series.pk]) if page == "series-detail" else reverse(page)

    response = user_client.get(url, {"range": "24h"})

    assert response.status_code == 200
    assert_escaped(response.content.decode())


def test_the_report_shows_the_labels_escaped_and_the_unit_as_text(shaped_series, user_client):
    _, report = shaped_series

    page = user_client.get(reverse("reports:document", args=[report.pk])).content.decode()

    assert report.status == "done", report.error
    assert_escaped(report.html)
    assert_escaped(page)
    assert "$\\foo$ costs $x^2$" in report.html  # the chart's axis label, not a formula


@pytest.mark.parametrize("chart", ["forecast", "event"])
def test_report_charts_draw_dollar_signs_as_text_not_mathtext(chart):
    # The charts are the pages' SVG now (no mathtext to fall into): "$" must still reach the label as text.
    history = [[f"2026-11-20T{h:02d}:00:00+00:00", float(h)] for h in range(12)]
    if chart == "forecast":
        svg = report_charts.forecast_figure(
            {"history": history, "forecast": [], "unit": MATHTEXT}, title=MATHTEXT
        )
    else:
        flagged = [[history[5][0], 5.0, 2.0, 1.0, 3.0]]
        event = {"chart": {"context": history, "flagged": flagged}, "unit": MATHTEXT}
        svg = report_charts.event_figure({**event, "start": history[5][0], "end": history[6][0]})

    assert "$\\foo$ costs $x^2$" in svg


def test_json_and_csv_give_the_labels_exactly_as_stored(shaped_series):
    series, report = shaped_series
    client = client_with_key(scopes=["read"])

    listed = client.get("/api/v1/series", {"match": "cpu_usage_percent"}).json()
    streamed = client.get("/api/v1/points", {"series": series.pk, "format": "csv"}).streaming_content
    points_csv = b"".join(streamed).decode()
    report_csv = client.get(f"/api/v1/reports/{report.pk}/csv", {"table": "events"}).content.decode()

    assert listed["results"][0]["labels"] == {"host": "web-1", **SHAPED_VALUES}
    assert {row[1] for row in list(csv.reader(io.StringIO(points_csv)))[1:]} == {series.key}
    assert series.key in {cell for row in csv.reader(io.StringIO(report_csv)) for cell in row}
