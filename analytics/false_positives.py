"""False-positive judgements of anomaly events: mark, unmark, show, evaluate.

A mark covers its event's stretch of the series (`FalsePositive`), so an
event counts as judged when a mark of its series overlaps it, whichever
detector run found it. The same overlap answers the pages, the API and a
backtest: `windows` hands the stretches to the evaluation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.db.models.functions import JSONObject

from analytics.models import AnomalyEvent, FalsePositive

MAX_REASON = 500
FILTERS = ("", "hide", "only")  # the list's choices: show all, hide marked, only marked


class MarkError(ValueError):
    """A mark the form cannot make; the message says why."""


def overlapping(series_ref: str = "series", start_ref: str = "start", end_ref: str = "end") -> QuerySet:
    """Marks of the outer row's series that overlap its [start, end]."""
    return FalsePositive.objects.filter(
        series=OuterRef(series_ref), start__lte=OuterRef(end_ref), end__gte=OuterRef(start_ref)
    ).order_by("-marked_at")


def with_verdicts(queryset: QuerySet) -> QuerySet:
    """Events annotated with `false_positive`: the latest overlapping mark as
    {id, reason, marked_by, marked_at}, or None. One sub-query, no extra round trip."""
    mark = overlapping().values(
        json=JSONObject(id="id", reason="reason", marked_by="marked_by", marked_at="marked_at")
    )[:1]
    return queryset.annotate(false_positive=Subquery(mark))


def filter_verdict(queryset: QuerySet, choice: str) -> QuerySet:
    """`hide` leaves out events under a mark, `only` keeps only those; else all."""
    if choice == "hide":
        return queryset.exclude(pk__in=_marked_ids())
    if choice == "only":
        return queryset.filter(pk__in=_marked_ids())
    return queryset


def _marked_ids() -> QuerySet:
    return AnomalyEvent.objects.filter(Exists(overlapping())).values("pk")


def mark(event: AnomalyEvent, reason: str, by: str, now: dt.datetime) -> FalsePositive:
    """Judge `event` a false positive (once: a second mark of it is refused)."""
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise MarkError(f"reason: at most {MAX_REASON} characters")
    try:
        with transaction.atomic():
            return FalsePositive.objects.create(
                series_id=event.series_id,
                start=event.start,
                end=event.end,
                event=event,
                detector_name=event.detector.name,
                reason=reason,
                marked_by=by[:150],
                marked_at=now,
            )
    except IntegrityError:
        raise MarkError("this event is already marked as a false positive") from None


def windows(series_ids: Iterable[int]) -> dict[int, list[tuple[dt.datetime, dt.datetime]]]:
    """Per series, the marked stretches, oldest first: what an evaluation reads."""
    found: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    rows = FalsePositive.objects.filter(series_id__in=list(series_ids)).order_by("start")
    for series_id, start, end in rows.values_list("series_id", "start", "end"):
        found.setdefault(series_id, []).append((start, end))
    return found


def count_inside(ts_ns: np.ndarray, stretches: list[tuple[dt.datetime, dt.datetime]]) -> int:
    """How many of the times `ts_ns` (int64 ns since the epoch) fall in a marked stretch."""
    if not stretches or ts_ns.size == 0:
        return 0
    inside = np.zeros(ts_ns.size, dtype=bool)
    for start, end in stretches:
        inside |= (ts_ns >= _ns(start)) & (ts_ns <= _ns(end))
    return int(inside.sum())


def _ns(when: dt.datetime) -> int:
    return int(round(when.timestamp() * 1e6)) * 1000
