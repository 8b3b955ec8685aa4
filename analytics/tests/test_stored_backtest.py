"""manage.py backtest: a detector over stored history, written as CSV, nothing stored."""

import datetime as dt
from io import StringIO

import numpy as np
import pandas as pd
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from analytics.algorithms.detector import StreamingDetector
from analytics.choices import DetectorKind
from analytics.models import Anomaly, Detector
from ingestion.models import Series
from ingestion.writer import write_samples
from tsmon.testing import make_samples

pytestmark = pytest.mark.django_db

N = 2000
SPIKE = 1700


@pytest.fixture
def stored():
    rng = np.random.default_rng(3)
    values = 40 + 5 * np.sin(np.arange(N) * 2 * np.pi / 240) + rng.normal(size=N)
    values[SPIKE] += 30
    start = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(minutes=N)
    write_samples(make_samples("cpu_usage_percent", {"host": "web-1"}, start, N, values=values))
    write_samples(make_samples("mem_used_percent", {"host": "web-1"}, start, 10))
    return Series.objects.get(metric="cpu_usage_percent"), values


def test_it_scores_the_selected_series_as_a_fresh_detector_would_and_finds_the_spike(stored, tmp_path):
    series, values = stored
    out = StringIO()

    call_command(
        "backtest", str(tmp_path), "--selector", "cpu_usage_percent", "--start", "now-3d", stdout=out
    )

    frame = pd.read_csv(tmp_path / "cpu_usage_percent" / f"{series.pk}.csv")
    assert list(frame.columns) == ["timestamp", "value", "anomaly_score"]
    np.testing.assert_array_equal(frame["value"].to_numpy(), values)
    ts = (pd.Timestamp(series.first_ts) + pd.to_timedelta(np.arange(N), "min")).as_unit("ns").asi8
    expected = np.nan_to_num(StreamingDetector().update(ts, values).score)
    np.testing.assert_allclose(frame["anomaly_score"].to_numpy(), expected)
    assert int(frame["anomaly_score"].idxmax()) == SPIKE
    assert f"{series.key}: {N} points" in out.getvalue()
    assert "backtest: 1 series" in out.getvalue() and not (tmp_path / "mem_used_percent").exists()
    assert Anomaly.objects.count() == 0


def test_a_named_detector_lends_its_parameters_and_bad_arguments_are_named(stored, tmp_path):
    Detector.objects.create(name="touchy", selector="", params={"alarm_level": 0.05})
    Detector.objects.create(name="peers", kind=DetectorKind.PEER_GROUP, selector="")
    touchy, default = StringIO(), StringIO()
    call_command("backtest", str(tmp_path / "a"), "--selector", "cpu_usage_percent", stdout=default)
    call_command(
        "backtest",
        str(tmp_path / "b"),
        "--selector",
        "cpu_usage_percent",
        "--detector",
        "touchy",
        stdout=touchy,
    )

    def events(out):
        return int(out.getvalue().rsplit(", ", 1)[1].split()[0])

    assert events(touchy) > events(default) >= 1
    for args, reason in [
        (["--detector", "nope"], "no detector named 'nope'"),
        (["--detector", "peers"], "compares peers"),
        (["--selector", "{host="], "selector"),
        (["--start", "now", "--end", "now-1d"], "before end"),
    ]:
        with pytest.raises(CommandError, match=reason):
            call_command("backtest", str(tmp_path / "c"), *args, stdout=StringIO())
