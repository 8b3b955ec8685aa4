"""The notebooks run top to bottom against a database holding the demo data,
and are stored without outputs.

The kernel is a separate process: it reaches this run's test database through
DATABASE_URL, so the demo data is committed once for the module (not inside
a test transaction) and removed afterwards.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from analytics.detection import detect_series
from analytics.forecasting import forecast_series
from analytics.jobs import store_forecast
from analytics.models import Detector
from demo.loading import load_demo_data
from ingestion.models import Series, Source
from tsmon.testing_celery import test_database_url as database_url_for_tests

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
END = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)
DETECTOR = "notebook-test"


def test_there_are_the_three_notebooks():
    assert [p.name for p in PATHS] == [
        "01_explore_metrics.ipynb",
        "02_anomalies.ipynb",
        "03_forecasting.ipynb",
    ]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_the_notebook_is_stored_without_outputs(path):
    book = nbformat.read(path, as_version=4)

    code = [cell for cell in book.cells if cell.cell_type == "code"]
    assert all(not cell.outputs and cell.execution_count is None for cell in code)


@pytest.fixture(scope="module")
def demo_database(django_db_setup, django_db_blocker):
    """The demo data, one detected series and the disk forecast, committed for the kernels."""
    with django_db_blocker.unblock():
        load_demo_data(END, seed=42)
        detector = Detector.objects.create(name=DETECTOR, selector='cpu_usage_percent{host="web-1"}')
        detect_series(detector, Series.objects.get(key='cpu_usage_percent{host="web-1"}'), END)
        disk = Series.objects.get(key='disk_used_percent{host="db-1",mount="/var/lib/postgresql"}')
        store_forecast(disk, forecast_series(disk, END), END)
        url = database_url_for_tests()
    yield url
    with django_db_blocker.unblock():
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE ingestion_landing, ingestion_chunk")
        Series.objects.all().delete()  # cascades to anomalies, events, states, forecasts
        Source.objects.all().delete()
        Detector.objects.filter(name=DETECTOR).delete()


@pytest.mark.timeout(300)
@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_the_notebook_runs_top_to_bottom_on_the_demo_data(path, demo_database, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", demo_database)
    book = nbformat.read(path, as_version=4)

    NotebookClient(
        book, timeout=240, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    ).execute()

    if os.environ.get("TSMON_NOTEBOOK_OUTPUT_DIR"):  # to read the executed notebooks
        nbformat.write(book, Path(os.environ["TSMON_NOTEBOOK_OUTPUT_DIR"]) / path.name)
    errors = [o for cell in book.cells for o in cell.get("outputs", []) if o.output_type == "error"]
    assert not errors


@pytest.mark.timeout(300)
def test_the_anomaly_notebook_runs_without_nab_s_scorer_saying_where_to_point_it(
    demo_database, monkeypatch, tmp_path
):
    """A fresh clone has no NAB scorer beside it: the scoring cells say so instead of failing."""
    monkeypatch.setenv("DATABASE_URL", demo_database)
    monkeypatch.setenv("TSMON_NAB_SCORER", str(tmp_path / "absent" / "nab_score.py"))
    book = nbformat.read(NOTEBOOKS / "02_anomalies.ipynb", as_version=4)

    NotebookClient(
        book, timeout=240, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    ).execute()

    outputs = [o for cell in book.cells for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("set TSMON_NAB_SCORER and TSMON_NAB_DATA" in o.get("text", "") for o in outputs)
