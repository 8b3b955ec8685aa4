"""How many series may exist: per source, per API key, and in all.

Every new series costs a row, an index entry, a detector and a place in
every listing for as long as it lives, so a client that puts a request id
or a timestamp into a label (or an attacker varying `host`) must not be
able to create them without end. Three limits, each refusing only the lines
of the new series past it (400 naming the limit), never the batch:

- TSMON_MAX_SERIES_PER_SOURCE: series of one host (its `host` label, or
  the source of the key that wrote it);
- TSMON_MAX_SERIES_PER_KEY: series created by one API key, whatever their
  labels: a key cannot get round the first limit by inventing hosts;
- TSMON_MAX_SERIES: series in all.

New series are taken in key order until a limit is reached, so which ones
are refused does not depend on the order of the lines. The checks run in
the transaction that creates the series, after a lock that makes creations
queue (they are rare), so concurrent writers cannot pass a limit together.
"""

from __future__ import annotations

from collections import Counter

from django.conf import settings
from django.db import connection
from django.db.models import Count

from ingestion.models import Series

SERIES_CREATION_LOCK = 0x7453_6D6F_6E03


def refused_new_series(new: list[tuple[str, str, object]], owners: list, key) -> dict[str, str]:
    """Keys of the `new` series (key, metric, labels) past a limit, with the reason.

    `owners` is the Source of each new series (or None), `key` the ApiKey
    that writes them (or None for the agent's, scrapes' and imports' writes).
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SERIES_CREATION_LOCK])
    refused = _past_the_source_limits(new, owners)
    keys = [k for k, _, _ in new if k not in refused]
    if key is not None:
        limit = settings.TSMON_MAX_SERIES_PER_KEY
        room = limit - Series.objects.filter(created_by_key=key).count()
        reason = (
            f"would take API key {key.name!r} past its limit of {limit} series (TSMON_MAX_SERIES_PER_KEY)"
        )
        refused.update(_past(keys, room, reason))
        keys = [k for k in keys if k not in refused]
    limit = settings.TSMON_MAX_SERIES
    room = limit - Series.objects.count()
    refused.update(_past(keys, room, f"would take tsmon past its limit of {limit} series (TSMON_MAX_SERIES)"))
    return refused


def _past(keys: list[str], room: int, reason: str) -> dict[str, str]:
    return {k: f"new series {k} {reason}" for k in keys[max(room, 0) :]}


def _past_the_source_limits(new, owners) -> dict[str, str]:
    adding = Counter(owner for owner in owners if owner is not None)
    if not adding:
        return {}
    limit = settings.TSMON_MAX_SERIES_PER_SOURCE
    room = {owner.pk: limit for owner in adding}
    existing = (
        Series.objects.filter(source__in=list(adding))
        .values("source")
        .annotate(n=Count("id"))
        .values_list("source", "n")
    )
    for source_id, n in existing:
        room[source_id] -= n
    refused = {}
    for (key, _, _), owner in zip(new, owners, strict=True):
        if owner is None:
            continue
        if room[owner.pk] <= 0:
            refused[key] = (
                f"new series {key} would take source {owner.name!r} past its limit of {limit} series "
                "(TSMON_MAX_SERIES_PER_SOURCE)"
            )
        room[owner.pk] -= 1
    return refused
