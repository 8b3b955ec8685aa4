"""analytics.nab_report's grouping and table, with a hand-made scorer standing in for NAB's."""

import math
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

from analytics import nab_report
from analytics.tests.algorithms.test_no_django_imports import FORBIDDEN, imported_roots

FILES = ["b/x.csv", "a/y.csv", "b/z.csv", "a/w.csv", "c/v.csv"]


class Result(NamedTuple):
    normalized: float
    threshold: float
    n_windows: int


def fake_score(calls: list):
    """A score_detector that records its calls: the score is the number of files, the threshold 0.5."""

    def score(files, thresholds):
        calls.append((sorted(files), thresholds))
        thr = thresholds or {}
        return {p: Result(float(len(files)), thr.get(p, 0.5), len(files)) for p in nab_report.PROFILES}

    return score


def test_files_are_grouped_by_category_in_order():
    assert nab_report.by_category(FILES) == {
        "a": ["a/w.csv", "a/y.csv"],
        "b": ["b/x.csv", "b/z.csv"],
        "c": ["c/v.csv"],
    }


def test_each_category_is_scored_at_its_own_threshold_and_at_the_totals():
    calls = []

    rows = nab_report.report_rows(fake_score(calls), FILES)

    assert [(r["group"], r["files"]) for r in rows] == [("total", 5), ("a", 2), ("b", 2), ("c", 1)]
    total_threshold = dict.fromkeys(nab_report.PROFILES, 0.5)
    assert calls[0] == (sorted(FILES), None)
    assert calls[1:3] == [(["a/w.csv", "a/y.csv"], None), (["a/w.csv", "a/y.csv"], total_threshold)]
    assert rows[1]["own"]["standard"].normalized == 2.0


def test_the_table_shows_a_dash_for_a_category_without_windows():
    calls = []
    rows = nab_report.report_rows(fake_score(calls), FILES)
    rows[3]["own"] = {p: Result(math.nan, math.inf, 0) for p in nab_report.PROFILES}

    lines = nab_report.format_rows(rows, {"total": 7, "c": 3})

    assert lines[2].split() == ["total", "5", "5", "5.0", "5.0", "5.0", "0.500", "5.0", "5.0", "5.0", "7"]
    assert lines[5].split()[:7] == ["c", "1", "0", "-", "-", "-", "none"]
    assert lines[5].split()[-1] == "3"


def test_the_scorer_comes_from_the_argument_or_else_the_environment(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "nab_score", None)  # undone after the test: no fake scorer left behind
    scorer = tmp_path / "nab_score.py"
    scorer.write_text("VALUE = 1\n")

    assert nab_report.scorer_path(str(scorer), environ={}) == scorer
    assert nab_report.scorer_path(None, environ={nab_report.SCORER_ENV: str(scorer)}) == scorer
    assert nab_report.load_scorer(scorer).VALUE == 1
    with pytest.raises(SystemExit, match="TSMON_NAB_SCORER"):
        nab_report.scorer_path(None, environ={})
    with pytest.raises(SystemExit, match="no scorer"):
        nab_report.scorer_path(str(tmp_path / "missing.py"), environ={})


def test_the_report_does_not_import_django():
    assert not imported_roots(Path(nab_report.__file__)) & FORBIDDEN
