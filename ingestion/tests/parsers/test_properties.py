"""Property tests: any input gives samples and errors, never an exception."""

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingestion.parsers import parse_csv, parse_exposition, parse_json, parse_line_protocol, parse_remote_write
from ingestion.parsers.remote_write import parse_write_request
from ingestion.samples import LineError, Sample
from ingestion.validation import validate_samples

NOW_US = 1_700_000_000_000_000
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text built from the characters line protocol gives meaning to, so the
# generated lines reach deep into the parser rather than failing at once.
lp_alphabet = st.sampled_from(list('abcxyz019.-_=, "\\\nitfTFeu#\r') + ["é", "\x00"])
lp_text = st.text(lp_alphabet, max_size=80)


def assert_well_formed(result, body_lines: int | None = None):
    for sample in result.samples:
        assert isinstance(sample, Sample)
        assert isinstance(sample.metric, str) and isinstance(sample.ts_us, int)
        assert isinstance(sample.value, float)
    for error in result.errors:
        assert isinstance(error, LineError) and error.reason
        if body_lines is not None:
            assert 1 <= error.line <= body_lines


@FAST
@given(lp_text, st.sampled_from(["ns", "us", "ms", "s"]))
def test_line_protocol_never_raises(body, precision):
    result = parse_line_protocol(body, precision, NOW_US)

    assert_well_formed(result, body.count("\n") + 1)
    validate_samples(result.samples, NOW_US)


@FAST
@given(st.text(max_size=80))
def test_line_protocol_never_raises_on_any_text(body):
    assert_well_formed(parse_line_protocol(body, "ns", NOW_US))


tag_key = st.text(st.sampled_from("abcxyz_"), min_size=1, max_size=6)
tag_value = st.text(st.sampled_from("abcxyz=, é"), min_size=1, max_size=6)


def escape(text: str, chars: str) -> str:
    return "".join("\\" + c if c in chars else c for c in text)


@FAST
@given(
    st.text(st.sampled_from("abc xyz,é"), min_size=1, max_size=6),
    st.dictionaries(tag_key, tag_value, max_size=3),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(min_value=0, max_value=2**62),
)
def test_escaped_lines_round_trip(measurement, tags, value, ts):
    tag_text = "".join(f",{key}={escape(text, ',= ')}" for key, text in tags.items())
    line = f"{escape(measurement, ', ')}{tag_text} value={value!r} {ts}"

    result = parse_line_protocol(line, "ns", NOW_US)

    assert result.errors == [], line
    sample = result.samples[0]
    assert sample.metric == measurement.replace(" ", "_").replace(",", "_").replace("é", "_")
    assert sample.labels == tuple(sorted(tags.items()))
    assert (sample.value, sample.ts_us) == (value, ts // 1000)


json_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=10,
)
row = st.fixed_dictionaries(
    {},
    optional={
        "metric": json_values | st.just("m"),
        "labels": json_values | st.dictionaries(st.text(max_size=3), st.text(max_size=3)),
        "ts": json_values | st.just("2023-11-14T22:13:20Z"),
        "value": json_values,
        "other": json_values,
    },
)


@FAST
@given(
    st.lists(row, max_size=5)
    | json_values
    | st.fixed_dictionaries({"metric": json_values, "ts": json_values, "values": json_values})
)
def test_json_never_raises(document):
    import json

    try:
        body = json.dumps(document)
    except ValueError:
        return
    result = parse_json(body, "s", NOW_US)

    assert_well_formed(result)
    validate_samples(result.samples, NOW_US)


number = st.integers(-(2**60), 2**60) | st.floats(allow_nan=False, allow_infinity=False)
point_ts = st.integers(0, 2**40) | number | st.just("2023-11-14T22:13:20Z") | st.booleans()


@FAST
@given(
    st.lists(st.tuples(point_ts, number | st.none() | st.booleans()), max_size=6),
    st.sampled_from(["ns", "us", "ms", "s"]),
)
def test_json_columns_read_as_the_same_points_in_rows(points, precision):
    import json

    stamps, values = [ts for ts, _ in points], [value for _, value in points]
    columns = parse_json(json.dumps({"metric": "m", "ts": stamps, "values": values}), precision, NOW_US)
    rows = [{"metric": "m", "labels": {}, "ts": ts, "value": value} for ts, value in points]
    by_row = parse_json(json.dumps(rows), precision, NOW_US)

    assert columns.samples == by_row.samples
    assert [(e.line, e.reason) for e in columns.errors] == [(e.line, e.reason) for e in by_row.errors]


@FAST
@given(st.binary(max_size=60))
def test_json_never_raises_on_bytes(body):
    assert_well_formed(parse_json(body, "ms", NOW_US))


@FAST
@given(st.text(st.sampled_from(list('0123456789,."\n\r -:Tabe')), max_size=80), st.sampled_from([None, "m"]))
def test_csv_never_raises(text, metric):
    assert_well_formed(parse_csv(text, metric, (), "s"))


@FAST
@given(st.text(st.sampled_from(list('abc_{}=",# \n0123456789.+-eINaf\\')), max_size=80))
def test_exposition_never_raises(text):
    result = parse_exposition(text, NOW_US)

    assert_well_formed(result, text.count("\n") + 1)
    validate_samples(result.samples, NOW_US)


@FAST
@given(st.binary(max_size=120))
def test_remote_write_never_raises(message):
    assert_well_formed(parse_write_request(message))
    assert_well_formed(parse_remote_write(b"\x40" + message, max_decompressed=1 << 20))


@FAST
@given(st.floats(), st.integers(min_value=-(2**70), max_value=2**70))
def test_validation_answers_every_value_and_time(value, ts_us):
    result = validate_samples([Sample("m", (), ts_us, value, 1)], NOW_US)

    assert len(result.samples) + len(result.errors) == 1
    if result.samples:
        assert math.isfinite(value)
