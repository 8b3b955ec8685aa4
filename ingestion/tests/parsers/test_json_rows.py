"""JSON bodies: row form, columnar form, and every way they can be wrong."""

import json

import pytest

from ingestion.parsers import parse_json
from ingestion.samples import Sample

NOW_US = 1_700_000_000_000_000


def parse(document, precision="s"):
    body = document if isinstance(document, (str, bytes)) else json.dumps(document)
    return parse_json(body, precision, NOW_US)


def test_it_reads_rows_with_canonical_labels():
    result = parse(
        [
            {"metric": "cpu", "labels": {"z": "1", "a": "2"}, "ts": 1700000000, "value": 0.5},
            {"metric": "mem", "ts": 1700000001.25, "value": 3},
        ]
    )

    assert result.samples == [
        Sample("cpu", (("a", "2"), ("z", "1")), 1_700_000_000_000_000, 0.5, 1),
        Sample("mem", (), 1_700_000_001_250_000, 3.0, 2),
    ]
    assert result.errors == []


def test_a_row_without_ts_gets_now():
    assert parse([{"metric": "m", "value": 1}]).samples[0].ts_us == NOW_US


@pytest.mark.parametrize(
    ("ts", "expected_us"),
    [
        ("2023-11-14T22:13:20Z", 1_700_000_000_000_000),
        ("2023-11-14T23:13:20+01:00", 1_700_000_000_000_000),
        ("2023-11-14T22:13:20.5", 1_700_000_000_500_000),
    ],
)
def test_it_reads_iso_timestamps(ts, expected_us):
    assert parse([{"metric": "m", "ts": ts, "value": 1}]).samples[0].ts_us == expected_us


@pytest.mark.parametrize(
    ("precision", "ts"), [("ms", 1700000000000), ("us", 1700000000000000), ("ns", 1700000000000000000)]
)
def test_numeric_timestamps_follow_the_precision(precision, ts):
    assert parse([{"metric": "m", "ts": ts, "value": 1}], precision).samples[0].ts_us == NOW_US


def test_it_reads_the_columnar_form_of_one_series():
    result = parse(
        {"metric": "m", "labels": {"host": "a"}, "ts": [1700000000, 1700000010], "values": [1, 2.5]}
    )

    assert result.samples == [
        Sample("m", (("host", "a"),), 1_700_000_000_000_000, 1.0, 1),
        Sample("m", (("host", "a"),), 1_700_000_010_000_000, 2.5, 2),
    ]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ({"labels": {}, "ts": 1, "value": 1}, '"metric" must be a string'),
        ({"metric": 5, "value": 1}, '"metric" must be a string'),
        ({"metric": "m"}, "missing or null"),
        ({"metric": "m", "value": None}, "missing or null"),
        ({"metric": "m", "value": "1.5"}, "is a string"),
        ({"metric": "m", "value": True}, "is a boolean"),
        ({"metric": "m", "value": 10**400}, "too large"),
        ({"metric": "m", "value": 1, "ts": "yesterday"}, "bad timestamp"),
        ({"metric": "m", "value": 1, "ts": [1]}, "expected a number or an ISO 8601 string"),
        ({"metric": "m", "value": 1, "ts": True}, "expected a number"),
        ({"metric": "m", "value": 1, "labels": ["a"]}, "expected an object of strings"),
        ({"metric": "m", "value": 1, "labels": {"a": 1}}, "label values are strings"),
        ({"metric": "m", "value": 1, "labels": {"a": ["x"]}}, "label values are strings"),
        ({"metric": "m", "valeu": 1}, "unknown key"),
    ],
)
def test_it_refuses_a_bad_row_with_its_number_and_reason(row, reason):
    result = parse([{"metric": "ok", "value": 1}, row, {"metric": "ok", "value": 2}])

    assert [s.value for s in result.samples] == [1.0, 2.0]
    assert [e.line for e in result.errors] == [2]
    assert reason in result.errors[0].reason


def test_a_row_that_is_not_an_object_is_refused():
    result = parse([1, {"metric": "m", "value": 1}])

    assert result.errors[0].line == 1 and "expected an object" in result.errors[0].reason
    assert len(result.samples) == 1


def test_infinite_numbers_in_json_reach_validation_as_values():
    result = parse('[{"metric": "m", "value": NaN}, {"metric": "m", "value": 1, "ts": Infinity}]')

    assert len(result.samples) == 1 and result.samples[0].value != result.samples[0].value
    assert result.errors[0].line == 2 and "bad timestamp" in result.errors[0].reason


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("[{", "invalid JSON"),
        (b"\xff\xfe\xfa", "invalid JSON"),
        ("[" * 100_000 + "]" * 100_000, "invalid JSON"),
        ("42", "expected a list of rows"),
        ('{"metric": "m", "value": 1}', "expected a list of rows"),
        ('{"metric": "m", "ts": [1], "values": [1, 2]}', '"ts" has 1 items but "values" has 2'),
        ('{"metric": "m", "ts": 1, "values": [1]}', "must be lists"),
        ('{"metric": null, "ts": [1], "values": [1]}', '"metric" must be a string'),
    ],
)
def test_a_body_that_is_neither_form_is_one_error(body, reason):
    result = parse(body)

    assert result.samples == []
    assert len(result.errors) == 1 and reason in result.errors[0].reason


def test_a_bad_point_in_columnar_form_is_numbered_by_position():
    result = parse({"metric": "m", "ts": [1700000000, "x", 1700000002], "values": [1, 2, None]})

    assert [s.line for s in result.samples] == [1]
    assert [e.line for e in result.errors] == [2, 3]


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_left_as_it_was_after_a_parse(enabled):
    import gc

    was_enabled = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        parse([{"metric": "m", "ts": 1700000000, "value": 1}])
        parse("[{")
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was_enabled else gc.disable)()
