# tsmon: `make run` serves the app with demo data, `make test` runs every test.
# Without DATABASE_URL both use the embedded PostgreSQL under .tsmon-data/.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.requirements-installed
DB := $(PY) -m tsmon.embedded_db

.PHONY: run test test-fast notebook stop lint format

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

run: $(STAMP)
	$(DB) run-with --stop-after -- $(PY) -m tsmon.serve

test: $(STAMP)
	$(DB) run-with -- $(PY) -m pytest $(PYTEST_ARGS)

# The tests that need no database: algorithms and parsers.
test-fast: $(STAMP)
	$(PY) -m pytest -p no:django -p no:cacheprovider -W ignore::pytest.PytestConfigWarning analytics/tests/algorithms ingestion/tests/parsers $(PYTEST_ARGS)

# Jupyter Lab on notebooks/, connected to tsmon's database (embedded or DATABASE_URL).
notebook: $(STAMP)
	notebooks/run_jupyter.sh

stop: $(STAMP)
	$(DB) stop

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
