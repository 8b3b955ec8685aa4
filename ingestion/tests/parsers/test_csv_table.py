"""CSV tables: NAB timestamp,value files and wide tables."""

from ingestion.parsers import parse_csv
from ingestion.samples import Sample

LABELS = (("host", "a"),)


def test_it_reads_a_nab_file():
    text = "timestamp,value\n2014-04-01 00:00:00,20.5\n2014-04-01 00:05:00,21\n"

    result = parse_csv(text, "machine_temperature", LABELS)

    assert result.samples == [
        Sample("machine_temperature", LABELS, 1_396_310_400_000_000, 20.5, 2),
        Sample("machine_temperature", LABELS, 1_396_310_700_000_000, 21.0, 3),
    ]
    assert result.errors == []


def test_a_wide_table_with_a_metric_makes_one_series_per_column():
    text = "time,cpu,mem\n1700000000,1,2\n"

    result = parse_csv(text, "host_stats", LABELS)

    assert [(s.metric, s.labels, s.value) for s in result.samples] == [
        ("host_stats", (("column", "cpu"), ("host", "a")), 1.0),
        ("host_stats", (("column", "mem"), ("host", "a")), 2.0),
    ]


def test_a_wide_table_without_a_metric_names_series_after_columns():
    result = parse_csv("cpu,ts,mem\n1,1700000000,2\n")

    assert [(s.metric, s.ts_us) for s in result.samples] == [
        ("cpu", 1_700_000_000_000_000),
        ("mem", 1_700_000_000_000_000),
    ]


def test_a_table_without_header_is_read_from_its_first_row():
    result = parse_csv("1700000000,1\n1700000060,2\n", "m", precision="s")

    assert [(s.line, s.value) for s in result.samples] == [(1, 1.0), (2, 2.0)]


def test_numeric_timestamps_follow_the_precision():
    assert parse_csv("ts,v\n1700000000000,1\n", "m", precision="ms").samples[0].ts_us == 1_700_000_000_000_000


def test_empty_cells_are_gaps_and_blank_lines_are_skipped():
    result = parse_csv("ts,a,b\n1700000000,,2\n\n1700000060,3,\n", "m")

    assert [(s.line, s.value) for s in result.samples] == [(2, 2.0), (4, 3.0)]
    assert result.errors == []


def test_a_bad_cell_refuses_its_row_with_the_line_number():
    result = parse_csv("ts,a,b\n1700000000,1,2\n1700000060,3,oops\nnot a time,4,5\n1700000120,6\n", "m")

    assert [s.line for s in result.samples] == [2, 2]
    assert [(e.line, e.reason) for e in result.errors] == [
        (3, "'oops' is not a number"),
        (4, "bad timestamp 'not a time'"),
        (5, "2 cells, expected 3"),
    ]


def test_a_single_value_column_needs_a_metric():
    result = parse_csv("timestamp,value\n1700000000,1\n")

    assert result.samples == [] and "needs a metric name" in result.errors[0].reason


def test_a_table_without_value_columns_is_refused():
    assert "at least one value column" in parse_csv("timestamp\n1\n", "m").errors[0].reason
    assert parse_csv("", "m").errors[0].line == 1


def test_the_column_label_cannot_be_given_twice():
    result = parse_csv("ts,a,b\n1,2,3\n", "m", (("column", "x"),))

    assert "'column' is taken" in result.errors[0].reason


def test_label_options_are_read_as_canonical_labels():
    from ingestion.parsers import parse_label_option

    assert parse_label_option(" host=a, dc=x ") == (("dc", "x"), ("host", "a"))
    assert parse_label_option("") == ()
    for bad in ("host", "=a"):
        try:
            parse_label_option(bad)
        except ValueError as exc:
            assert repr(bad) in str(exc)
        else:
            raise AssertionError(bad)
