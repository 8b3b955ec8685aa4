"""The Celery app: with CELERY_BROKER_URL set, tsmon's periodic jobs run as
Celery tasks on any number of workers, scheduled by Celery beat.

    celery -A tsmon worker      # as many as you like, on any machines
    celery -A tsmon beat        # exactly one

Sharded jobs (detection) fan out one task per shard of the series, so the
work spreads across workers while each series stays with one task.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tsmon.settings")

app = Celery("tsmon")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def schedule_periodic_jobs(sender, **kwargs):
    from core.schedule import default_jobs

    for job in default_jobs():
        sender.add_periodic_task(
            job.interval_seconds, sender.signature("tsmon.run_job", args=[job.name]), name=job.name
        )
