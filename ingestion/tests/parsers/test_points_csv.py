"""The points CSV that export_series writes and import_series reads."""

import io

from ingestion.parsers.points_csv import labels_json, read_points_csv
from ingestion.samples import Sample

HEADER = "metric,labels,source,ts,value\n"
T0 = 1_763_640_000_000_000  # 2025-11-20T12:00:00Z


def read(text: str, chunk_size: int = 1000):
    return list(read_points_csv(io.StringIO(text, newline=""), chunk_size))


def test_labels_are_written_as_sorted_compact_json():
    assert labels_json({"mount": "/", "host": "web-1"}) == '{"host":"web-1","mount":"/"}'
    assert labels_json({}) == "{}"


def test_it_reads_rows_into_samples_with_their_line_and_source():
    text = HEADER + (
        'cpu,"{""host"":""web-1""}",web-1,2025-11-20T12:00:00.000001Z,0.1\n'
        "up,{},agent-7,2025-11-20T12:00:00Z,-0.0\n"
    )

    [chunk] = read(text)

    assert chunk.parsed.samples == [
        Sample("cpu", (("host", "web-1"),), T0 + 1, 0.1, 2),
        Sample("up", (), T0, -0.0, 3),
    ]
    assert chunk.parsed.errors == []
    assert chunk.sources == {("cpu", (("host", "web-1"),)): "web-1", ("up", ()): "agent-7"}


def test_values_keep_every_bit():
    values = [0.1 + 0.2, 5e-324, 1.7976931348623157e308, -123456.789012345678]
    text = HEADER + "".join(f"m,{{}},,2025-11-20T12:00:00Z,{value!r}\n" for value in values)

    [chunk] = read(text)

    assert [sample.value.hex() for sample in chunk.parsed.samples] == [value.hex() for value in values]


def test_bad_rows_are_refused_with_their_line_and_the_others_kept():
    text = HEADER + (
        "m,{},,2025-11-20T12:00:00Z,1\n"
        "m,{},,yesterday,2\n"
        "m,{},,2025-11-20T12:01:00Z,lots\n"
        'm,"{""a"":1}",,2025-11-20T12:02:00Z,3\n'
        "m,{},\n"
        "m,{},other,2025-11-20T12:03:00Z,4\n"
    )

    [chunk] = read(text)

    assert [s.line for s in chunk.parsed.samples] == [2]
    assert [(e.line, e.reason) for e in chunk.parsed.errors] == [
        (3, "bad timestamp 'yesterday' (expected ISO 8601)"),
        (4, "'lots' is not a number"),
        (5, "labels '{\"a\":1}' are not a JSON object of strings"),
        (6, "3 cells, expected 5"),
        (7, "source 'other' differs from '' given earlier for this series"),
    ]


def test_a_file_without_the_header_is_refused_on_line_1():
    [chunk] = read("m,{},,2025-11-20T12:00:00Z,1\n")

    assert chunk.parsed.samples == []
    assert chunk.parsed.errors[0].line == 1
    assert chunk.parsed.errors[0].reason == "expected the header metric,labels,source,ts,value"


def test_it_yields_chunks_of_at_most_chunk_size_samples():
    text = HEADER + "".join(f"m,{{}},,2025-11-20T12:00:0{i}Z,{i}\n" for i in range(5))

    chunks = read(text, chunk_size=2)

    assert [[s.value for s in c.parsed.samples] for c in chunks] == [[0, 1], [2, 3], [4]]
