"""Celery tasks: each one line calling the same job functions the in-process
scheduler runs (see tsmon/celery.py)."""

from __future__ import annotations

from celery import group, shared_task
from django.conf import settings
from django.utils import timezone

from core.schedule import job_named


@shared_task(name="tsmon.run_job")
def run_job(name: str):
    """Run a periodic job; a sharded one fans out into one task per shard."""
    job = job_named(name)
    if job.sharded:
        n_shards = settings.TSMON_JOB_SHARDS
        shards = group(run_job_shard.s(name, shard, n_shards) for shard in range(n_shards)).apply_async()
        if settings.CELERY_RESULT_BACKEND:
            shards.save()  # lets a caller follow the shards with GroupResult.restore(id)
        return shards.id
    return _summary(job.run(timezone.now()))


@shared_task(name="tsmon.run_job_shard")
def run_job_shard(name: str, shard: int, n_shards: int):
    return _summary(job_named(name).run(timezone.now(), shard=shard, n_shards=n_shards))


def _summary(result):
    # Task results must be JSON: keep dicts and numbers, describe the rest.
    return result if isinstance(result, dict | int | float | str | type(None)) else repr(result)
