"""Validation rules: names, labels, values and the time window."""

import math

import pytest

from ingestion.samples import Sample
from ingestion.validation import US_PER_DAY, Limits, validate_samples

NOW_US = 1_700_000_000_000_000
LIMITS = Limits(retention_days=30)


def check(metric="m", labels=(), ts_us=NOW_US, value=1.0, limits=LIMITS):
    return validate_samples([Sample(metric, labels, ts_us, value, 1)], NOW_US, limits)


def test_a_good_sample_passes():
    result = check("node_cpu:rate5m", (("host", "a"), ("_x", "y")))

    assert len(result.samples) == 1 and result.errors == []


@pytest.mark.parametrize(
    ("metric", "labels", "reason"),
    [
        ("1m", (), "not a valid Prometheus name"),
        ("cpu.usage", (), "not a valid Prometheus name"),
        ("", (), "not a valid Prometheus name"),
        ("m" * 201, (), "over the limit of 200"),
        ("m", (("1a", "x"),), "not a valid Prometheus label name"),
        ("m", (("a:b", "x"),), "not a valid Prometheus label name"),
        ("m", (("__name__", "x"),), "reserved"),
        ("m", (("a", "x" * 1025),), "over the limit of 1024"),
        ("m", (("host", "h" * 254),), "host name's limit of 253"),
        ("m", (("a", "x\x00y"),), "NUL"),
        ("m", (("a", "\ud800"),), "not valid UTF-8"),
        ("m", (("a", "1"), ("a", "2")), "appears twice"),
        ("m", tuple((f"k{i:02}", "v") for i in range(31)), "31 labels, over the limit of 30"),
        ("m", tuple((f"k{i:02}", "v" * 1000) for i in range(3)), "series key is"),
    ],
)
def test_it_refuses_bad_names_and_labels(metric, labels, reason):
    result = check(metric, labels)

    assert result.samples == []
    assert reason in result.errors[0].reason


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_it_refuses_nan_and_infinity(value):
    assert "not a finite number" in check(value=value).errors[0].reason


def test_it_refuses_points_older_than_the_retention():
    oldest = NOW_US - 30 * US_PER_DAY

    assert check(ts_us=oldest).errors == []
    assert "older than the retention period of 30 days" in check(ts_us=oldest - 1).errors[0].reason


def test_it_refuses_points_more_than_ten_minutes_ahead():
    newest = NOW_US + 600_000_000

    assert check(ts_us=newest).errors == []
    reason = check(ts_us=newest + 1).errors[0].reason
    assert "more than 10 minutes in the future" in reason and "2023-11-14T22:23:20.000001Z" in reason


def test_an_absurd_timestamp_still_gets_a_reason():
    assert "older than" in check(ts_us=-(10**30)).errors[0].reason


def test_one_refused_sample_refuses_its_whole_line_once():
    samples = [
        Sample("a", (), NOW_US, 1.0, 1),
        Sample("b", (), NOW_US, math.nan, 1),
        Sample("c", (), NOW_US, math.inf, 1),
        Sample("d", (), NOW_US, 1.0, 2),
    ]

    result = validate_samples(samples, NOW_US, LIMITS)

    assert [s.metric for s in result.samples] == ["d"]
    assert [e.line for e in result.errors] == [1]


def test_limits_are_configurable():
    limits = Limits(max_labels=1, max_label_value_length=3)

    assert check(labels=(("a", "x"), ("b", "y")), limits=limits).errors
    assert check(labels=(("a", "xxxx"),), limits=limits).errors
    assert not check(labels=(("a", "xxx"),), limits=limits).errors


def test_a_series_valid_under_loose_limits_is_still_checked_under_stricter_ones():
    now = 1_800_000_000_000_000
    labels = (("a", "1"), ("b", "2"), ("c", "3"))
    sample = Sample("m", labels, now, 1.0, 1)

    assert validate_samples([sample], now, Limits(max_labels=5)).errors == []
    strict = validate_samples([sample], now, Limits(max_labels=2))
    assert strict.samples == [] and "over the limit of 2" in strict.errors[0].reason
    assert validate_samples([sample], now, Limits(max_labels=5)).samples == [sample]


def test_json_with_nan_from_pythons_json_dumps_refuses_only_that_row():
    from ingestion.parsers import parse_json

    body = '[{"metric": "m", "value": 1.5}, {"metric": "m", "value": NaN}, {"metric": "n", "value": 10000000000000000000000}]'
    result = parse_json(body, now_us=1_800_000_000_000_000)

    assert [s.metric for s in result.samples] == [
        "m",
        "m",
        "n",
    ]  # NaN and big numbers reach validation as values
    checked = validate_samples(result.samples, 1_800_000_000_000_000)
    assert [s.line for s in checked.samples] == [1, 3] and checked.errors[0].line == 2


def test_a_label_with_an_empty_value_is_no_label():
    """Prometheus' rule: node_exporter's node_os_info sends `build_id=""` and the like."""
    samples = [
        Sample("node_os_info", (("build_id", ""), ("id", "debian")), NOW_US, 1.0, 1),
        Sample("node_os_info", (("build_id", ""), ("id", "debian")), NOW_US - 1, 1.0, 2),
        Sample("up", (("job", ""),), NOW_US, 1.0, 3),
    ]

    result = validate_samples(samples, NOW_US)

    assert result.errors == []
    assert [(s.metric, s.labels, s.line) for s in result.samples] == [
        ("node_os_info", (("id", "debian"),), 1),
        ("node_os_info", (("id", "debian"),), 2),
        ("up", (), 3),
    ]
