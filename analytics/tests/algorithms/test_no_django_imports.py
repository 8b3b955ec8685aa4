import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PURE_MODULES = sorted((ROOT / "analytics" / "algorithms").glob("*.py")) + [
    ROOT / "analytics" / "backtest.py",
    ROOT / "analytics" / "evaluate_forecast.py",
]
FORBIDDEN = {"django", "rest_framework", "ingestion", "reports", "tsmon"}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("path", PURE_MODULES, ids=lambda p: p.name)
def test_pure_analytics_modules_do_not_import_django_or_the_apps(path):
    assert not imported_roots(path) & FORBIDDEN


def test_the_import_check_would_catch_a_django_import(tmp_path):
    module = tmp_path / "bad.py"
    module.write_text("from django.db import models\nimport tsmon.settings\n")
    assert imported_roots(module) & FORBIDDEN == {"django", "tsmon"}
