"""Watching the watcher: tsmon's own health, for Prometheus and for tsmon itself.

Where each figure comes from, and why:

- **Ingestion counters and the write latency histogram** are counted in the
  process that handles the write (`instruments`). gunicorn runs several
  worker processes, and scrapes and CSV loads write from the scheduler or a
  Celery worker, so a counter held in one process's memory would show one
  worker's share, different on every scrape. They use prometheus_client's
  multiprocess mode instead: with `PROMETHEUS_MULTIPROC_DIR` set, every
  process keeps its values in a memory-mapped file of that folder, and
  `/metrics` sums the files of all processes, dead ones included (a
  counter must not go back when a worker is recycled). `make run`
  (tsmon/serve.py) empties `<TSMON_DATA_DIR>/prometheus` at start and hands
  it to every process it starts. Without the variable (`runserver`, tests,
  one process) the values live in memory. There are no multiprocess gauges,
  so nothing has to be cleaned when a worker exits.
- **Everything the database already knows** (series, detection lag, the
  last run of each periodic job, the notification queue and deliveries) is
  read at scrape time by a collector (`collector`) with a handful of cheap
  queries. These figures are the same whichever process answers, survive
  restarts, and stay true with Celery workers on other machines.
- **Periodic jobs report each run** in a `JobHeartbeat` row per job
  (`heartbeats`): the in-process scheduler and Celery run the same wrapped
  job functions (core/schedule.py), so "when did this job last succeed"
  is answered by the database for both.

tsmon also watches itself with its own machinery: the `watch_tsmon` job
(`jobs`) writes the figures its built-in alert rules need as series of
its own (`tsmon_*`, source "tsmon"), and those rules fire, notify and
resolve like any other. A dead scheduler cannot report its own death;
that is what `/metrics` and an outside Prometheus are for.
"""
