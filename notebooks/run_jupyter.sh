#!/bin/sh
# Start JupyterLab on the notebooks with tsmon's settings (`make notebook`).
# The database is DATABASE_URL when set, else the embedded PostgreSQL of
# `make run` (started if needed, stopped when Jupyter exits).
set -e
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export DJANGO_SETTINGS_MODULE=tsmon.settings
exec .venv/bin/python -m tsmon.embedded_db run-with --stop-after -- \
    .venv/bin/jupyter lab --notebook-dir=notebooks "$@"
