"""Prometheus remote write: snappy, the hand-written protobuf decoder, stale markers."""

import pytest

from ingestion.parsers import ProtobufError, decompressed_size, parse_remote_write
from ingestion.samples import Sample

from .protobuf_encoding import compress, field_bytes, series_message, varint, write_request

TS_MS = 1_700_000_000_123


def test_it_reads_series_labels_and_samples():
    body = compress(
        write_request(
            [
                series_message(
                    {"__name__": "up", "job": "node", "instance": "a:9100"},
                    [(1.0, TS_MS), (0.0, TS_MS + 15_000)],
                ),
                series_message({"job": "x", "__name__": "load1"}, [(0.25, TS_MS)]),
            ],
            metadata=field_bytes(2, b"up"),
        )
    )

    result = parse_remote_write(body)

    labels = (("instance", "a:9100"), ("job", "node"))
    assert result.samples == [
        Sample("up", labels, TS_MS * 1000, 1.0, 1),
        Sample("up", labels, (TS_MS + 15_000) * 1000, 0.0, 1),
        Sample("load1", (("job", "x"),), TS_MS * 1000, 0.25, 2),
    ]
    assert result.errors == []


def test_staleness_markers_are_no_samples_but_ends_of_their_series():
    body = compress(write_request([series_message({"__name__": "up"}, [(1.0, TS_MS)], stale_at=TS_MS + 1)]))

    result = parse_remote_write(body)

    assert [s.value for s in result.samples] == [1.0]
    assert [(s.metric, s.labels, s.ts_us) for s in result.ends] == [("up", (), (TS_MS + 1) * 1000)]


def test_other_nans_and_infinities_are_neither_samples_nor_ends():
    points = [(float("nan"), TS_MS), (float("inf"), TS_MS + 1), (-float("inf"), TS_MS + 2)]
    body = compress(write_request([series_message({"__name__": "m"}, points)]))

    result = parse_remote_write(body)

    assert (result.samples, result.ends, result.errors) == ([], (), [])


def test_negative_timestamps_decode_as_int64():
    body = compress(write_request([series_message({"__name__": "m"}, [(1.0, -5)])]))

    assert parse_remote_write(body).samples[0].ts_us == -5000


def test_a_series_without_a_name_is_refused_by_its_position():
    body = compress(
        write_request(
            [series_message({"__name__": "a"}, [(1.0, TS_MS)]), series_message({"job": "x"}, [(1.0, TS_MS)])]
        )
    )

    result = parse_remote_write(body)

    assert len(result.samples) == 1
    assert [(e.line, e.reason) for e in result.errors] == [(2, "time series without a __name__ label")]


def test_a_label_given_twice_refuses_its_series():
    series = field_bytes(1, field_bytes(1, b"__name__") + field_bytes(2, b"m"))
    series += field_bytes(1, field_bytes(1, b"a") + field_bytes(2, b"1")) * 2
    result = parse_remote_write(compress(write_request([series])))

    assert result.samples == [] and "appears twice" in result.errors[0].reason


@pytest.mark.parametrize(
    "message",
    [
        field_bytes(1, b"\x0a\x05ab"),  # a label running past its series
        b"\x0a\xff",  # a truncated length
        varint(1 << 3 | 3) + b"x",  # a group wire type
        field_bytes(1, field_bytes(1, field_bytes(1, b"\xff\xfe"))),  # a label name that is not UTF-8
    ],
)
def test_a_malformed_protobuf_is_an_error_not_an_exception(message):
    result = parse_remote_write(compress(message))

    assert result.samples == [] and "malformed WriteRequest" in result.errors[0].reason


def test_a_body_that_is_not_snappy_is_an_error():
    result = parse_remote_write(b"\x05not snappy at all")

    assert result.samples == [] and "not snappy" in result.errors[0].reason


def test_it_refuses_to_decompress_past_the_limit():
    body = compress(write_request([series_message({"__name__": "m"}, [(1.0, TS_MS)] * 100)]))

    assert decompressed_size(body) > 1000
    with pytest.raises(ProtobufError, match="exceeds the limit"):
        parse_remote_write(body, max_decompressed=1000)


def test_an_empty_body_is_an_error():
    with pytest.raises(ProtobufError):
        decompressed_size(b"")
