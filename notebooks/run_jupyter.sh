#!/bin/sh
# Start JupyterLab on the notebooks with tsmon's settings (`make notebook`).
# The database is DATABASE_URL when set, else the embedded PostgreSQL of
# `make run` (started if needed, and stopped when Jupyter exits only if this
# script started it, so a running `make run` keeps its database). An empty
# database gets the demo data first, so the notebooks have something to show.
set -e
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export DJANGO_SETTINGS_MODULE=tsmon.settings
# Jupyter refuses to run as root unless told it may.
[ "$(id -u)" = 0 ] && set -- --allow-root "$@"
exec .venv/bin/python -m tsmon.embedded_db run-with -- sh -c '
    .venv/bin/python manage.py migrate -v0 &&
    .venv/bin/python manage.py seed_demo --if-empty &&
    exec .venv/bin/jupyter lab --no-browser --notebook-dir=notebooks "$@"' sh "$@"
