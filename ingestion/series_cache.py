"""Resolve the series of incoming samples to ids, creating new series.

Agents send the same few thousand series again and again, so ids are kept
in a per-process cache and the database is asked only about series this
process has not seen. New series are created with `ON CONFLICT DO NOTHING`
and read back, so concurrent writers creating the same series agree on one
row and neither fails.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from django.db import connection, transaction

from ingestion.choices import SeriesKind
from ingestion.models import Series, Source
from ingestion.samples import Labels, Sample, SampleColumns
from ingestion.series_limits import refused_new_series

SeriesIdentity = tuple[str, Labels]

# Unit guessed from the Prometheus naming conventions for base units.
_UNIT_SUFFIXES = (
    ("_bytes", "bytes"),
    ("_seconds", "seconds"),
    ("_percent", "percent"),
    ("_ratio", "ratio"),
    ("_celsius", "celsius"),
)


class SeriesResolver:
    """Map (metric, labels) to series ids, with a bounded in-process cache."""

    def __init__(self, max_entries: int = 200_000):
        self.max_entries = max_entries
        self._ids: dict[SeriesIdentity, int] = {}

    def clear(self) -> None:
        self._ids.clear()

    def resolve(self, samples: Sequence[Sample], source: Source | None, key=None) -> Resolution:
        """Return the series id of every sample (-1 for refused new series).

        `key` is the ApiKey writing them, None for tsmon's own writers.
        `SampleColumns` are resolved once per series entry, not per sample.
        """
        if isinstance(samples, SampleColumns):
            # Entries no sample uses (their lines refused) are not created.
            used = np.flatnonzero(np.bincount(samples.series_index, minlength=len(samples.series)))
            resolution = self._resolve_identities([samples.series[i] for i in used.tolist()], source, key)
            ids = np.full(len(samples.series), -1, dtype=np.int64)
            ids[used] = resolution.series_ids
            return resolution._replace(series_ids=ids[samples.series_index])
        return self._resolve_identities([(s.metric, s.labels) for s in samples], source, key)

    def _resolve_identities(self, identities: list[SeriesIdentity], source, key) -> Resolution:
        ids = self._ids
        missing = {identity for identity in identities if identity not in ids}
        n_created, refused = 0, {}
        if missing:
            found, n_created, refused = self._load_or_create(missing, source, key)
            if len(ids) + len(found) > self.max_entries:
                ids.clear()  # simple and rare: a process seeing this many series re-reads them
            ids.update(found)
        series_ids = np.fromiter((ids.get(i, -1) for i in identities), dtype=np.int64, count=len(identities))
        return Resolution(series_ids, n_created, refused)

    def _load_or_create(self, identities: set[SeriesIdentity], source: Source | None, key):
        by_key = {Series.make_key(metric, labels): (metric, labels) for metric, labels in identities}
        found = _load_ids(list(by_key))
        new_keys = sorted(key for key in by_key if key not in found)
        created, refused = 0, {}
        if new_keys:
            with transaction.atomic():
                created, refused_keys = _create_series([(k, *by_key[k]) for k in new_keys], source, key)
            refused = {by_key[key]: reason for key, reason in refused_keys.items()}
            found.update(_load_ids(new_keys))
        return {by_key[k]: i for k, i in found.items()}, created, refused


class Resolution(NamedTuple):
    series_ids: np.ndarray  # per sample; -1 where its new series was refused
    n_created: int
    refused: dict[SeriesIdentity, str]  # why each refused series was refused


def _load_ids(keys: list[str]) -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT key, id FROM ingestion_series WHERE key = ANY(%s)", [keys])
        return dict(cursor.fetchall())


def _create_series(new: list[tuple[str, str, Labels]], fallback_source: Source | None, api_key):
    """Insert the new series the limits still have room for; return how
    many this call created (a concurrent writer may have created some
    first) and the keys refused, with the reason."""
    owners = _owners(new, fallback_source)
    refused = refused_new_series(new, owners, api_key)
    if refused:
        kept = [i for i, (key, _, _) in enumerate(new) if key not in refused]
        new, owners = [new[i] for i in kept], [owners[i] for i in kept]
    if not new:
        return 0, refused
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO ingestion_series
                (key, metric, labels, source_id, kind, unit, created_by_key_id, created_at)
            SELECT key, metric, labels::jsonb, source_id, kind, unit, %s, now()
            FROM unnest(%s::text[], %s::text[], %s::text[], %s::bigint[], %s::text[], %s::text[])
                 AS n(key, metric, labels, source_id, kind, unit)
            ON CONFLICT (key) DO NOTHING
            """,
            [
                api_key.pk if api_key is not None else None,
                [key for key, _, _ in new],
                [metric for _, metric, _ in new],
                [json.dumps(dict(labels)) for _, _, labels in new],
                [owner.pk if owner else None for owner in owners],
                [
                    SeriesKind.COUNTER if metric.endswith("_total") else SeriesKind.GAUGE
                    for _, metric, _ in new
                ],
                [guess_unit(metric) for _, metric, _ in new],
            ],
        )
        return cursor.rowcount, refused


def _owners(new, fallback_source: Source | None) -> list[Source | None]:
    """The Source of each new series: its `host` label's (created on first
    sight), else the source of the key that sent it."""
    hosts = [dict(labels).get("host") for _, _, labels in new]
    named = {h for h in hosts if h}
    by_name = {}
    if named:
        Source.objects.bulk_create([Source(name=h) for h in named], ignore_conflicts=True)
        by_name = {s.name: s for s in Source.objects.filter(name__in=named)}
    return [by_name[h] if h else fallback_source for h in hosts]


def guess_unit(metric: str) -> str:
    """The unit a metric's name says, Prometheus style: `_bytes`, `_percent`, ...,
    and a rate `_<what>_per_second` as `<what>/s` (`bytes/s`, `packets/s`)."""
    if metric.endswith("_per_second"):
        what = metric.removesuffix("_per_second").rpartition("_")[2]
        return f"{what}/s" if what else "/s"
    for suffix, unit in _UNIT_SUFFIXES:
        if metric.endswith(suffix) or metric.endswith(suffix + "_total"):
            return unit
    return ""
