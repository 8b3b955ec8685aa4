"""InfluxDB line protocol: syntax, escapes, field types, precision, mapping."""

import pytest

from ingestion.parsers import parse_line_protocol
from ingestion.samples import Sample

NOW_US = 1_700_000_000_123_456


def parse(body, precision="ns"):
    return parse_line_protocol(body, precision, NOW_US)


def test_it_maps_each_numeric_field_to_measurement_underscore_field():
    result = parse("cpu,host=a,region=eu usage_idle=98.5,usage_user=1.5 1700000000000000000")

    labels = (("host", "a"), ("region", "eu"))
    assert result.samples == [
        Sample("cpu_usage_idle", labels, 1_700_000_000_000_000, 98.5, 1),
        Sample("cpu_usage_user", labels, 1_700_000_000_000_000, 1.5, 1),
    ]
    assert result.errors == []


def test_a_field_named_value_keeps_the_measurement_name():
    assert parse("temperature value=21.5 1").samples[0].metric == "temperature"


def test_it_sorts_tags_into_canonical_labels():
    assert parse("m,z=1,a=2 f=1 1").samples[0].labels == (("a", "2"), ("z", "1"))


@pytest.mark.parametrize(
    ("text", "value"),
    [("1.5", 1.5), ("-2", -2.0), ("1e3", 1000.0), ("-7i", -7.0), ("42u", 42.0), (".5", 0.5)],
)
def test_it_reads_float_integer_and_unsigned_fields(text, value):
    result = parse(f"m f={text} 1")

    assert [s.value for s in result.samples] == [value]


@pytest.mark.parametrize(
    "text", ["t", "T", "true", "True", "TRUE", "f", "false", "FALSE", '"text"', '"a b,c=d"']
)
def test_it_skips_boolean_and_string_fields_without_an_error(text):
    result = parse(f"m f={text},g=2 1")

    assert [s.metric for s in result.samples] == ["m_g"]
    assert result.errors == []


@pytest.mark.parametrize(
    ("precision", "ts", "expected_us"),
    [
        ("ns", "1700000000123456789", 1_700_000_000_123_456),
        ("us", "1700000000123456", 1_700_000_000_123_456),
        ("ms", "1700000000123", 1_700_000_000_123_000),
        ("s", "1700000000", 1_700_000_000_000_000),
    ],
)
def test_it_converts_each_precision_to_microseconds(precision, ts, expected_us):
    assert parse(f"m f=1 {ts}", precision).samples[0].ts_us == expected_us


@pytest.mark.parametrize(
    ("precision", "expected_us"),
    [("ns", NOW_US), ("us", NOW_US), ("ms", 1_700_000_000_123_000), ("s", 1_700_000_000_000_000)],
)
def test_a_line_without_timestamp_gets_now_truncated_to_the_precision(precision, expected_us):
    assert parse("m f=1", precision).samples[0].ts_us == expected_us


def test_it_refuses_an_unknown_precision():
    with pytest.raises(ValueError, match="precision"):
        parse_line_protocol("m f=1", "h", NOW_US)


def test_it_unescapes_measurement_tags_and_field_keys():
    result = parse(r"my\ disk\,io,mount\ point=/var\,x\=y used\ bytes=5 1")

    sample = result.samples[0]
    assert sample.metric == "my_disk_io_used_bytes"
    assert sample.labels == (("mount_point", "/var,x=y"),)


def test_string_fields_may_hold_escaped_quotes_spaces_and_commas():
    result = parse(r'm msg="say \"hi\", a=b \\",n=3i 1')

    assert [(s.metric, s.value) for s in result.samples] == [("m_n", 3.0)]
    assert result.errors == []


def test_a_backslash_before_another_character_is_kept():
    assert parse(r"m,path=C:\temp f=1 1").samples[0].labels == (("path", r"C:\temp"),)


def test_it_sanitizes_names_as_telegraf_does():
    result = parse("docker.cpu,com.docker.project=web usage-percent=1 1")

    assert result.samples[0].metric == "docker_cpu_usage_percent"
    assert result.samples[0].labels == (("com_docker_project", "web"),)


def test_it_ignores_blank_and_comment_lines_but_counts_them():
    result = parse("# a comment f=1 1\n\n  \nm f=1 1\r\n")

    assert [s.line for s in result.samples] == [4]
    assert result.errors == []


def test_it_accepts_crlf_line_endings():
    result = parse("m f=1 1\r\nm f=2\r\n")

    assert [s.value for s in result.samples] == [1.0, 2.0]


def test_it_accepts_non_ascii_tag_values():
    assert parse("m,city=Zürich f=1 1").samples[0].labels == (("city", "Zürich"),)


def test_negative_timestamps_are_read():
    assert parse("m f=1 -1000000", "us").samples[0].ts_us == -1_000_000


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("cpu", "missing fields"),
        ("cpu,host=a", "missing fields"),
        ("cpu f", "has no '='"),
        ("cpu f=", "missing value"),
        ("cpu =1", "missing field key"),
        ("cpu f=abc", "invalid value"),
        ("cpu f=1_000", "invalid value"),
        ("cpu f=1x", "invalid value"),
        ("cpu f=12i3", "invalid value"),
        ("cpu f=-1u", "out of range"),
        ("cpu f=9223372036854775808i", "out of range"),
        ("cpu f=1 12abc", "bad timestamp"),
        ("cpu f=1 1.5", "bad timestamp"),
        ("cpu f=1 1 2", "after the timestamp"),
        ("cpu,host f=1", "has no '='"),
        ("cpu,=a f=1", "missing tag key"),
        ("cpu,a=b=c f=1", "unescaped '='"),
        ("cpu,a=1,a=2 f=1", "duplicate tag key"),
        (",a=1 f=1", "missing measurement"),
        ('cpu s="unterminated', "unterminated string"),
        (r"cpu\ x,a=b=c f=1", "unescaped '='"),
        (r"cpu\ x", "missing fields"),
        ("cpu f=١٢", "invalid value"),
        ("cpu f=1 ١٢", "bad timestamp"),
    ],
)
def test_it_refuses_a_malformed_line_with_its_number_and_reason(line, reason):
    result = parse(f"ok f=1 1\n{line}\nok f=2 2")

    assert [s.value for s in result.samples] == [1.0, 2.0]
    assert len(result.errors) == 1
    assert result.errors[0].line == 2
    assert reason in result.errors[0].reason
    assert result.errors[0].text == line


def test_one_bad_field_refuses_the_whole_line():
    result = parse("m a=1,b=oops,c=3 1")

    assert result.samples == []
    assert result.errors[0].line == 1


def test_the_error_text_of_a_long_line_is_cut_short():
    result = parse("m f=" + "x" * 500)

    assert len(result.errors[0].text) <= 120


# What tsmon changes on the way in, each refused or stored as documented.


@pytest.mark.parametrize(
    "line, reason",
    [
        (
            "disk,host=a io.read=1,io_read=2 1",
            "fields 'io.read' and 'io_read' both map to metric 'disk_io_read'",
        ),
        ("disk,host=a read=1,read=2 1", "fields 'read' and 'read' both map to metric 'disk_read'"),
        # with an escape, so the careful parser reads it
        ("disk,host=a\\,b read=1,read=2 1", "fields 'read' and 'read' both map to metric 'disk_read'"),
    ],
)
def test_two_fields_mapping_to_one_metric_refuse_their_line(line, reason):
    result = parse(f"disk,host=a ok=1 1\n{line}\ndisk,host=b read=3 1")

    assert [(e.line, e.reason) for e in result.errors] == [(2, reason)]
    assert [(s.metric, s.line) for s in result.samples] == [("disk_ok", 1), ("disk_read", 3)]


def test_integers_beyond_2_to_the_53_are_stored_as_the_nearest_float64():
    [sample] = parse(f"bytes total={2**53 + 1}i 1").samples

    assert sample.value == float(2**53) and sample.value != 2**53 + 1


def test_nanoseconds_are_truncated_to_microseconds_towards_the_past():
    samples = parse("m f=1 1700000000123456789\nm f=2 1700000000123456001\nm f=3 -1001").samples

    assert [s.ts_us for s in samples] == [1_700_000_000_123_456, 1_700_000_000_123_456, -2]


def test_unicode_tag_values_are_kept_exactly_as_sent_not_normalised():
    composed, decomposed = "caf\u00e9", "cafe\u0301"  # the same text to a reader, NFC and NFD

    samples = parse(f"m,site={composed} f=1 1\nm,site={decomposed} f=1 1").samples

    assert [s.labels for s in samples] == [(("site", composed),), (("site", decomposed),)]


def test_a_tag_with_an_empty_value_is_no_label():
    assert parse("cpu,host=a,model= f=1 1\ncpu,model=,host=a f=2 1").samples == [
        Sample("cpu_f", (("host", "a"),), 0, 1.0, 1),
        Sample("cpu_f", (("host", "a"),), 0, 2.0, 2),
    ]
