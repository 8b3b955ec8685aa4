"""manage.py ingest_csv: NAB files, wide tables, bad rows, archived data."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from .write_helpers import fresh_caches, recent, stored_points  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("ingest_csv", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def nab_lines(t0, values):
    stamp = [(t0 + dt.timedelta(minutes=5 * i)).strftime("%Y-%m-%d %H:%M:%S") for i in range(len(values))]
    return "timestamp,value\n" + "".join(f"{s},{v}\n" for s, v in zip(stamp, values, strict=True))


def test_it_loads_a_nab_file_and_prints_a_summary(tmp_path):
    t0 = recent(60)
    path = tmp_path / "machine_temperature.csv"
    path.write_text(nab_lines(t0, [70.1, 71.2, 69.9]))

    out, err = run(str(path), "--metric", "machine_temperature", "--labels", "host=m1")

    assert out.strip() == "3 points written, 0 already stored, 1 new series, 0 bad lines"
    assert err == ""
    assert stored_points()[0] == ('machine_temperature{host="m1"}', t0, 70.1)


def test_bad_rows_are_reported_with_their_line_and_the_rest_loaded(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text(nab_lines(recent(60), [1, "oops", 3]))

    out, err = run(str(path), "--metric", "m")

    assert "2 points written" in out and "1 bad lines" in out
    assert err.strip() == "line 3: 'oops' is not a number"


def test_an_archived_file_is_refused_by_retention_unless_shifted_to_now(tmp_path):
    path = tmp_path / "nab.csv"
    path.write_text(nab_lines(dt.datetime(2014, 4, 1, tzinfo=dt.UTC), [1, 2]))

    with pytest.raises(CommandError, match="nothing stored"):
        run(str(path), "--metric", "m")
    out, _ = run(str(path), "--metric", "m", "--shift-to-now")

    assert "2 points written" in out
    times = [ts for _, ts, _ in stored_points()]
    assert times[1] - times[0] == dt.timedelta(minutes=5)
    assert dt.datetime.now(dt.UTC) - times[1] < dt.timedelta(minutes=1)


def test_a_wide_table_loads_one_series_per_column(tmp_path):
    ts = int(recent().timestamp())
    path = tmp_path / "wide.csv"
    path.write_text(f"ts,cpu,mem\n{ts},1,2\n{ts + 60},3,4\n")

    out, _ = run(str(path), "--metric", "host_stats", "--labels", "host=a")

    assert "4 points written, 0 already stored, 2 new series" in out


@override_settings(TSMON_MAX_POINTS_PER_REQUEST=2)
def test_a_large_file_is_written_in_chunks(tmp_path):
    t0 = recent(120)
    path = tmp_path / "big.csv"
    path.write_text(nab_lines(t0, range(5)))

    out, _ = run(str(path), "--metric", "m")

    assert out.startswith("5 points written")


def test_loading_the_same_file_twice_stores_nothing_twice(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text(nab_lines(recent(60), [1, 2]))
    run(str(path), "--metric", "m")

    out, _ = run(str(path), "--metric", "m")

    assert out.startswith("0 points written, 2 already stored")


@pytest.mark.parametrize(
    ("args", "message"),
    [(["missing.csv", "--metric", "m"], "cannot read"), (["x.csv", "--labels", "oops"], "--labels")],
)
def test_bad_arguments_are_command_errors(args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
