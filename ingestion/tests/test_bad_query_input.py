r"""The bad-input catalogue of the read side: each kind of bad query, on each read path.

The write side has its own (test_bad_input.py). Every row is a test that
fails if the behaviour regresses; none may ever be a 5xx.

| Input | Answer |
| --- | --- |
| a selector regex whose meaning differs between RE2, Python and PostgreSQL (`\b`, `[[:alpha:]]`, `{,3}`), or that RE2 lacks (lookaround, backreferences, flags other than a leading `(?i)`, possessive quantifiers) | 400 naming `match` and the reason |
| a regex PostgreSQL refuses (a repetition over 255, "too complex") or takes over 1 s to compile; one over 1024 characters | 400 naming `match`, with PostgreSQL's reason or the limit |
| a leading `(?i)`, named groups `(?P<n>…)` | accepted: case-insensitive, plain groups |
| a NUL in any query parameter of a read, or in its path | 400 naming the parameter (`path`), JSON on the API, text on pages |
| `limit` or `offset` beyond its cap (or a bigint), zero, negative, not a number | 400 naming the parameter and the cap (every list, /points) |
| series ids beyond a bigint, or digits that are not ASCII (`²`) | 400 naming `series` |
| alert and delivery filter ids (`rule`, `series`, `channel`, `notification`) likewise, or zero | 400 naming the parameter |
| a rolling `window` of digits that are not ASCII | 400 naming `window` |
| `threshold`, `level` or `min_score` that is NaN, ±infinity or beyond a float (`1e309`) | 400 naming the parameter |
| a downsampled query of more than TSMON_MAX_QUERY_POINTS (series × buckets) | 400 naming `step` and the limit |
| more than the browsable API renders (10,000 points), asked of it | 400 naming the parameter; JSON and CSV stream it |
| a rolling range over 200,000 points (lookback included) | 400 naming `start` |
| an empty `limit`, `offset`, `min_score`, `threshold`, `level`, enum (`kind`, `agg`, `status`, `state`) or `format` | 400 naming the parameter (an empty `match`, `start`, `step`, … still means "not given") |
| a time or duration outside its grammar (`1e9`, `+5m`, `.5h`): the pattern the schema gives | 400 naming the parameter |
| `agg` not one of the aggregates, also without `step` | 400 naming `agg` |

The rules are in ingestion/selectors.py (the regex dialect),
ingestion/queries.py (`check_regexes`: PostgreSQL's own word),
core/query_params.py (numbers, NUL), core/pagination.py (page sizes) and
core/time_range.py (the grammars of times and durations, which the schema's patterns are).
"""

from __future__ import annotations

import datetime as dt
import time

import numpy as np
import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from analytics import rolling_api
from analytics.models import Detector
from ingestion import query_api
from ingestion.models import ApiKey, Series
from ingestion.writer import write_samples
from tsmon.testing import forget_write_caches, make_samples

from .query_helpers import answer

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
RANGE = {"start": "2026-11-20T00:00:00Z", "end": "2026-11-20T02:00:00Z"}
HOSTS = ("web-1", "WEB-2", "db-1")
# Compiles in about 1.8 s on PostgreSQL 16: over the check's 1 s, under "too complex".
COSTLY = "(" + "|".join(f"(.{{1,{255 - i}}})" for i in range(40)) + "){1,3}"


@pytest.fixture
def stored(db):
    forget_write_caches()
    rng = np.random.default_rng(3)
    for host in HOSTS:
        write_samples(
            make_samples("cpu_usage_percent", {"host": host}, START, 120, 60, rng.normal(50, 5, 120))
        )
    return {s.labels["host"]: s for s in Series.objects.all()}


@pytest.fixture
def client(db):
    _, key = ApiKey.issue("probe", ["admin"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    client.raise_request_exception = False  # a 500 is an answer to assert on, not a crash
    return client


def refused(response, parameter: str, reason: str = "") -> bool:
    data = response.json()
    return response.status_code == 400 and data["parameter"] == parameter and reason in data["detail"]


# Selector regexes: the dialect all engines agree on, PostgreSQL's last word.

READS_WITH_A_SELECTOR = [
    "/api/v1/series",
    "/api/v1/points",
    "/api/v1/labels",
    "/api/v1/labels/host/values",
    "/api/v1/anomalies",
    "/api/v1/anomaly-events",
]
REFUSED_REGEXES = {
    "lookbehind": ("(?<=a)b", "lookaround"),
    "lookahead": ("(?=w)web.*", "lookaround"),
    "a repetition over 255": ("a{1000}", "more than 255"),
    "a named character": (r"\\N{DIGIT ONE}", r"uses \N"),
    "a word boundary": (r"\\bweb", r"uses \b"),
    "a POSIX class": ("[[:alpha:]]+", "POSIX class"),
    "a backreference": (r"(a)\\1", "backreferences"),
    "an open lower bound": ("a{,3}", "{0,3}"),
    "a possessive quantifier": ("a*+", "possessive"),
    "a flag other than a leading (?i)": ("(?s).*", "only a leading (?i)"),
    "a scoped flag": ("(?i:web).*", "only a leading (?i)"),
    "an invalid pattern": ("(", "is invalid"),
    "too long a pattern": ("a" * 1025, "longer than 1024 characters"),
    "too complex for PostgreSQL": ("((a{1,100}){1,100}){1,100}", "PostgreSQL refuses"),
}


@pytest.mark.parametrize("path", READS_WITH_A_SELECTOR)
@pytest.mark.parametrize("case", REFUSED_REGEXES, ids=list(REFUSED_REGEXES))
def test_a_regex_outside_the_common_dialect_is_a_400_naming_the_selector(stored, client, path, case):
    pattern, reason = REFUSED_REGEXES[case]

    response = client.get(path, {"match": f'cpu_usage_percent{{host=~"{pattern}"}}', **RANGE})

    assert refused(response, "match", reason), response.content


def test_regexes_too_costly_to_compile_are_a_400_after_a_second(stored, client):
    selector = f'cpu_usage_percent{{host=~"{COSTLY}", job=~"{COSTLY[:-1]}2}}"}}'
    started = time.monotonic()

    response = client.get("/api/v1/series", {"match": selector})

    assert refused(response, "match", "too costly: PostgreSQL took over 1000 ms")
    assert time.monotonic() - started < 1.5  # the selector's regexes share one second


@pytest.mark.parametrize(
    ("pattern", "hosts"),
    [
        ("(?i)web-.*", {"web-1", "WEB-2"}),
        ("(?P<kind>web|db)-1", {"web-1", "db-1"}),
        ("(?<kind>WEB)-2", {"WEB-2"}),
        ("w{1,3}eb-\\d", {"web-1"}),
        ("[^w].*", {"WEB-2", "db-1"}),
    ],
)
def test_prometheus_regexes_postgresql_reads_differently_are_translated(stored, client, pattern, hosts):
    response = client.get("/api/v1/series", {"match": f'cpu_usage_percent{{host=~"{pattern}"}}'})

    assert response.status_code == 200
    assert {s["labels"]["host"] for s in response.json()["results"]} == hosts


def test_sql_and_python_agree_on_every_accepted_regex(stored):
    """Silences match labels in Python; series are selected in SQL: same answer."""
    from ingestion.queries import select_series
    from ingestion.selectors import parse_selector

    for pattern in [
        "(?i)web-.*",
        "(?P<n>web)-1",
        ".*-[12]",
        "(db|web)-\\d+",
        "[A-Z]+-2",
        "w.b-1|db-.",
        "x{0}db-1",
    ]:
        selector = parse_selector(f'cpu_usage_percent{{host=~"{pattern}"}}')
        in_sql = set(select_series(selector).values_list("labels__host", flat=True))
        in_python = {h for h in HOSTS if selector.matches("cpu_usage_percent", {"host": h})}
        assert in_sql == in_python, pattern


def test_a_stored_selector_must_be_one_postgresql_accepts(client):
    response = client.post(
        "/api/v1/detectors", {"name": "d", "selector": 'cpu{host=~"a{1,100}{1,100}{1,100}"}'}, format="json"
    )

    assert response.status_code == 400 and "selector" in response.json()
    assert not Detector.objects.filter(name="d").exists()


def test_the_series_page_says_what_is_wrong_with_a_regex(stored, admin_client):
    response = admin_client.get("/series/", {"match": 'cpu_usage_percent{host=~"(?<=a)b"}'})

    assert response.status_code == 200
    assert "lookaround" in response.content.decode()


def test_the_anomaly_page_says_what_is_wrong_with_a_regex(stored, admin_client):
    response = admin_client.get("/anomalies/", {"match": 'cpu_usage_percent{host=~"a{,3}"}'})

    assert response.status_code == 200
    assert "{0,3}" in response.content.decode()


# NUL: PostgreSQL text cannot hold one.

NUL_READS = [
    ("/api/v1/series", "match"),
    ("/api/v1/series", "metric"),
    ("/api/v1/series", "source"),
    ("/api/v1/points", "match"),
    ("/api/v1/labels", "match"),
    ("/api/v1/anomalies", "detector"),
    ("/api/v1/anomaly-events", "kind"),
    ("/api/v1/job-runs", "job"),
    ("/api/v1/reports", "kind"),
    ("/api/v1/alerts", "rule"),
    ("/api/v1/series", "cursor"),
]


@pytest.mark.parametrize(("path", "parameter"), NUL_READS)
def test_a_nul_in_a_query_parameter_is_a_400_naming_it(stored, client, path, parameter):
    response = client.get(path, {parameter: "cpu\x00usage"})

    assert refused(response, parameter, "NUL")


def test_a_nul_in_the_path_is_a_400_naming_the_path(stored, client):
    assert refused(client.get("/api/v1/labels/ho%00st/values"), "path", "NUL")


@pytest.mark.parametrize("path", ["/series/", "/anomalies/", "/reports/"])
def test_a_nul_in_a_page_parameter_is_a_400_naming_it(stored, admin_client, path):
    response = admin_client.get(path, {"q": "a\x00b"})

    assert response.status_code == 400
    assert response.content.decode() == "q: contains a NUL character"


# Page sizes and other counts: capped, and a 400 naming the cap beyond it.

PAGE_CAPS = [
    ("/api/v1/series", 1000),
    ("/api/v1/detectors", 1000),
    ("/api/v1/job-runs", 1000),
    ("/api/v1/alert-rules", 1000),
    ("/api/v1/silences", 1000),
    ("/api/v1/anomalies", 5000),
    ("/api/v1/anomaly-events", 1000),
    ("/api/v1/reports", 500),
    ("/api/v1/points", query_api.MAX_POINT_LIMIT),
]


@pytest.mark.parametrize(("path", "cap"), PAGE_CAPS)
@pytest.mark.parametrize("value", ["cap+1", "1000000", "9" * 30, "0", "-1", "ten", "1e3", "²"])
def test_a_page_size_beyond_its_cap_is_a_400_naming_the_parameter_and_the_cap(
    stored, client, path, cap, value
):
    value = str(cap + 1) if value == "cap+1" else value

    response = client.get(path, {"limit": value, "match": "cpu_usage_percent"})

    assert refused(response, "limit", f"limit: must be a whole number from 1 to {cap}")


@pytest.mark.parametrize(("path", "cap"), PAGE_CAPS)
def test_a_page_size_at_its_cap_is_served(stored, client, path, cap):
    assert client.get(path, {"limit": str(cap), "match": "cpu_usage_percent"}).status_code == 200


@pytest.mark.parametrize("value", ["9" * 30, "-1", "1000000001"])
def test_an_offset_beyond_its_cap_is_a_400_naming_it(stored, client, value):
    response = client.get("/api/v1/series", {"offset": value})

    assert refused(response, "offset", "offset: must be a whole number from 0 to 1000000000")


def test_the_schema_documents_every_cap(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    for path, cap in PAGE_CAPS:
        (documented,) = [p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == "limit"]
        assert documented["schema"].get("maximum") == cap, path


@pytest.mark.parametrize("ids", ["9" * 30, "²", "1,2", "-3"])
@pytest.mark.parametrize("path", ["/api/v1/series", "/api/v1/points", "/api/v1/anomalies"])
def test_series_ids_that_are_no_bigint_are_a_400_naming_them(stored, client, path, ids):
    assert refused(client.get(path, {"series": ids}), "series")


@pytest.mark.parametrize("ids", ["9" * 30, "²", "-3", "0"])
@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/v1/alerts", "rule"),
        ("/api/v1/alerts", "series"),
        ("/api/v1/deliveries", "channel"),
        ("/api/v1/deliveries", "notification"),
    ],
)
def test_alert_filter_ids_that_are_no_bigint_are_a_400_naming_them(client, path, parameter, ids):
    assert refused(client.get(path, {parameter: ids}), parameter, "whole number")


def test_a_rolling_window_of_digits_that_are_not_ascii_is_a_400_naming_it(stored, client):
    response = client.get(f"/api/v1/series/{stored['web-1'].pk}/rolling", {"window": "²", **RANGE})

    assert refused(response, "window")


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "1e309", "-1e309", "infinity"])
@pytest.mark.parametrize("parameter", ["threshold", "level"])
def test_a_forecast_number_that_is_not_finite_is_a_400_naming_it(stored, client, parameter, value):
    series = stored["web-1"]

    response = client.get(f"/api/v1/series/{series.pk}/forecast", {parameter: value})

    assert refused(response, parameter, "not a finite number")


@pytest.mark.parametrize("value", ["nan", "inf", "1e309"])
def test_a_min_score_that_is_not_finite_is_a_400_naming_it(stored, client, value):
    assert refused(client.get("/api/v1/anomalies", {"min_score": value}), "min_score")


# What one answer may hold.


@override_settings(TSMON_MAX_QUERY_POINTS=1000)
def test_a_downsampled_query_over_the_point_limit_is_a_400_naming_it(stored, client):
    # 3 series x 2 h at 20 s = 3 x 360 buckets
    response = client.get("/api/v1/points", {"match": "cpu_usage_percent", **RANGE, "step": "20s"})

    assert refused(response, "step", "3 series × 360 buckets is 1080 points, over the limit of 1000")
    assert "TSMON_MAX_QUERY_POINTS" in response.json()["detail"]


@override_settings(TSMON_MAX_QUERY_POINTS=1080)
def test_a_downsampled_query_at_the_point_limit_is_served(stored, client):
    response = client.get("/api/v1/points", {"match": "cpu_usage_percent", **RANGE, "step": "20s"})

    assert response.status_code == 200
    assert [len(s["points"]) for s in answer(response)["series"]] == [120, 120, 120]


def test_the_browsable_api_takes_small_answers_only(stored, client):
    big = client.get("/api/v1/points", {"match": "cpu_usage_percent", "step": "1s", "format": "api", **RANGE})
    small = client.get(
        "/api/v1/points", {"match": "cpu_usage_percent", "step": "1m", "format": "api", **RANGE}
    )
    raw = client.get("/api/v1/points", {"match": "cpu_usage_percent", "limit": "10001", "format": "api"})

    assert big.status_code == 400 and big.data["parameter"] == "step"
    assert "the browsable API shows at most 10000 points" in big.data["detail"]
    assert small.status_code == 200 and small["Content-Type"].startswith("text/html")
    assert raw.status_code == 400 and raw.data["parameter"] == "limit"


def test_a_rolling_range_over_the_point_limit_is_a_400_naming_start(stored, client, monkeypatch):
    monkeypatch.setattr(rolling_api, "MAX_ROLLING_POINTS", 100)
    series = stored["web-1"]

    response = client.get(f"/api/v1/series/{series.pk}/rolling", {"window": "5", **RANGE})

    assert refused(response, "start", "more than 100 points")


# Empty values and grammars: what the schema says, the readers do.

EMPTY_IS_REFUSED = [
    ("/api/v1/series", "limit"),
    ("/api/v1/series", "offset"),
    ("/api/v1/anomalies", "limit"),
    ("/api/v1/anomalies", "min_score"),
    ("/api/v1/anomalies", "kind"),
    ("/api/v1/points", "limit"),
    ("/api/v1/points", "agg"),
    ("/api/v1/points", "format"),
    ("/api/v1/reports", "status"),
    ("/api/v1/alerts", "state"),
    ("/api/v1/alerts", "rule"),
]


@pytest.mark.parametrize(("path", "parameter"), EMPTY_IS_REFUSED)
def test_an_empty_number_enum_or_format_is_a_400_naming_it(stored, client, path, parameter):
    assert refused(client.get(path, {"match": "cpu_usage_percent", parameter: ""}), parameter)


@pytest.mark.parametrize("parameter", ["threshold", "level"])
def test_an_empty_forecast_number_is_a_400_naming_it(stored, client, parameter):
    response = client.get(f"/api/v1/series/{stored['web-1'].pk}/forecast", {parameter: ""})

    assert refused(response, parameter)


@pytest.mark.parametrize("parameter", ["match", "start", "end", "step", "cursor"])
def test_an_empty_filter_time_or_duration_means_not_given(stored, client, parameter):
    response = client.get("/api/v1/points", {"match": "cpu_usage_percent", **RANGE, parameter: ""})

    assert response.status_code == 200 if parameter != "match" else refused(response, "match")


def test_an_empty_rolling_window_is_the_default_hour(stored, client):
    response = client.get(f"/api/v1/series/{stored['web-1'].pk}/rolling", {"window": "", **RANGE})

    assert response.status_code == 200 and answer(response)["window"] == "1h"


@pytest.mark.parametrize(
    ("parameter", "value"),
    [("start", "1e9"), ("end", "+1795262400"), ("start", "now-1e3"), ("step", "1e3"), ("step", ".5h")],
)
def test_a_time_or_duration_outside_its_grammar_is_a_400_naming_it(stored, client, parameter, value):
    response = client.get("/api/v1/points", {"match": "cpu_usage_percent", **RANGE, parameter: value})

    assert refused(response, parameter)


def test_the_schema_gives_the_grammars_the_readers_use(client):
    from core.durations import DURATION_SYNTAX
    from core.time_range import TIME_SYNTAX

    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    parameters = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/points"]["get"]["parameters"]}

    assert TIME_SYNTAX in parameters["start"]["pattern"] and DURATION_SYNTAX in parameters["step"]["pattern"]
    assert parameters["series"]["items"] == {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}


def test_an_aggregate_that_is_not_one_is_a_400_also_without_a_step(stored, client):
    response = client.get("/api/v1/points", {"match": "cpu_usage_percent", **RANGE, "agg": "median"})

    assert refused(response, "agg", "'median' is not one of")


def test_the_largest_bigint_is_an_id(stored, client):
    response = client.get("/api/v1/points", {"series": str(2**63 - 1), **RANGE})

    assert response.status_code == 200 and answer(response)["series"] == []


def test_a_csv_error_names_its_parameter(stored, client):
    response = client.get("/api/v1/points", {"match": "cpu_usage_percent", "step": "fast", "format": "csv"})

    assert response.status_code == 400
    assert response.content.decode().splitlines()[0] == "error,parameter"
    assert response.content.decode().splitlines()[1].endswith(",step")


@pytest.mark.parametrize("window", [" 25\t\n", "300.5", "1.5h", "2w", " 90s "])
def test_a_rolling_window_the_schema_allows_is_served(stored, client, window):
    response = client.get(f"/api/v1/series/{stored['web-1'].pk}/rolling", {"window": window, **RANGE})

    assert response.status_code == 200 and answer(response)["window"] == window.strip()
