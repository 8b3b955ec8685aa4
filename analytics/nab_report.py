"""NAB scores of the default detector in total and per category, as the issue reports them.

Usage (from the project's root)::

    python -m analytics.nab_report DATA --scorer PATH/TO/nab_score.py [--out DIR] [--no-backtest] [--params JSON]

Streams every ``DATA/<category>/<name>.csv`` through a fresh default
detector (:mod:`analytics.backtest`, into ``--out`` or a temporary folder),
then scores the results with NAB's scorer, which is not part of tsmon: it is
loaded from ``--scorer`` (or ``TSMON_NAB_SCORER``) at run time. For each
profile it prints the score of all files, and of each category twice: with
the threshold re-optimised on that category (as published per-category NAB
figures are), and at the threshold optimised on all files (the one a single
deployed configuration would use). A category without windows
(artificialNoAnomaly) has no normalised score; its false-positive rows at
the total's threshold say how it fares.

This module does not import Django.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from analytics import backtest

SCORER_ENV = "TSMON_NAB_SCORER"
PROFILES = ("standard", "reward_low_FP_rate", "reward_low_FN_rate")
SHORT = {"standard": "std", "reward_low_FP_rate": "lowFP", "reward_low_FN_rate": "lowFN"}


def scorer_path(given: str | None, environ=os.environ) -> Path:
    """The scorer named on the command line, else in the environment."""
    path = given or environ.get(SCORER_ENV)
    if not path:
        raise SystemExit(f"nab_report: give --scorer PATH/nab_score.py or set {SCORER_ENV}")
    if not Path(path).is_file():
        raise SystemExit(f"nab_report: no scorer at {path}")
    return Path(path)


def load_scorer(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("nab_score", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["nab_score"] = module  # its dataclasses look their module up while being defined
    spec.loader.exec_module(module)
    return module


def by_category(files: list[str]) -> dict[str, list[str]]:
    """'category/name.csv' paths grouped by category, categories sorted."""
    groups: dict[str, list[str]] = {}
    for rel in sorted(files):
        groups.setdefault(rel.split("/", 1)[0], []).append(rel)
    return groups


def report_rows(score: Callable, files: list[str]) -> list[dict]:
    """One row for all files, then one per category.

    ``score(files, thresholds)`` is the scorer's ``score_detector`` bound to
    the results: it returns {profile: ProfileScore}, optimising the threshold
    of every profile missing from ``thresholds``.
    """
    total = score(files, None)
    rows = [{"group": "total", "files": len(files), "own": total, "at_total": total}]
    fixed = {p: r.threshold for p, r in total.items()}
    for category, members in by_category(files).items():
        own, at_total = score(members, None), score(members, fixed)
        rows.append({"group": category, "files": len(members), "own": own, "at_total": at_total})
    return rows


def format_rows(rows: list[dict], fp_rows: dict[str, int]) -> list[str]:
    """The table: per group, scores at its own threshold and at the total's; FP rows at the total's."""
    names = [SHORT[p] for p in PROFILES]
    head = f"{'':<24}{'':>6}{'':>8}  {'own threshold':<29}  {'total threshold':<22}"
    cols = f"{'':<24}{'files':>6}{'windows':>8}  " + "".join(f"{n:>7}" for n in names) + f"{'thr std':>8}  "
    lines = [head.rstrip(), cols + "".join(f"{n:>7}" for n in names) + f"{'FP rows std':>12}"]
    for row in rows:
        own, fixed = row["own"], row["at_total"]
        line = f"{row['group']:<24}{row['files']:>6}{own['standard'].n_windows:>8}  "
        line += "".join(_score(own[p]) for p in PROFILES) + f"{_threshold(own['standard'].threshold):>8}  "
        line += "".join(_score(fixed[p]) for p in PROFILES) + f"{fp_rows.get(row['group'], 0):>12}"
        lines.append(line)
    return lines


def _score(result) -> str:
    return f"{result.normalized:>7.1f}" if math.isfinite(result.normalized) else f"{'-':>7}"


def _threshold(value: float) -> str:
    return f"{value:.3f}" if math.isfinite(value) else "none"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", type=Path, help="NAB folder: <category>/<name>.csv and combined_windows.json")
    parser.add_argument("--scorer", help=f"path of NAB's nab_score.py (default ${SCORER_ENV})")
    parser.add_argument(
        "--out", type=Path, help="folder for the backtest's results (default: a temporary one)"
    )
    parser.add_argument("--no-backtest", action="store_true", help="score the results already in --out")
    parser.add_argument("--chunk", type=int, default=1000, help="points per update call, as backtest")
    parser.add_argument("--params", default="{}", help="detector parameters as JSON, as backtest")
    args = parser.parse_args(argv)
    nab = load_scorer(scorer_path(args.scorer))
    if args.no_backtest and args.out is None:
        parser.error("--no-backtest needs --out")
    with tempfile.TemporaryDirectory(prefix="nab_report_") as scratch:
        out = args.out or Path(scratch)
        if not args.no_backtest:
            backtest.main([str(args.data), str(out), "--chunk", str(args.chunk), "--params", args.params])
        print("\n".join(score_report(nab, args.data, out)))
    return 0


def score_report(nab: ModuleType, data: Path, out: Path) -> list[str]:
    corpus = nab.Corpus(str(data))
    scores = nab.load_results(str(out), corpus)
    files = corpus.files

    def score(members, thresholds):
        return nab.score_detector(scores, corpus, members, list(PROFILES), thresholds=thresholds)

    rows = report_rows(score, files)
    total = rows[0]["own"]
    at = nab.score_at_threshold(scores, corpus, total["standard"].threshold, "standard", files)
    fp = at.groupby(at["file"].str.split("/").str[0])["FP"].sum()
    fp_rows = {"total": int(fp.sum()), **{k: int(v) for k, v in fp.items()}}
    thresholds = ", ".join(f"{SHORT[p]} {_threshold(total[p].threshold)}" for p in PROFILES)
    title = (
        f"NAB: {len(files)} files, {total['standard'].n_windows} windows; total's thresholds: {thresholds}"
    )
    return [title, "", *format_rows(rows, fp_rows)]


if __name__ == "__main__":
    sys.exit(main())
