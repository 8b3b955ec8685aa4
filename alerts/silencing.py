"""Silences made from the pages: of one series (every rule on it) or of one
alert (its rule on its series), for a duration and with a reason.

A silence is the same `Silence` the API and the evaluator use: label
matchers, matched against an alert's labels. The matchers written here are
exact (`=`) on the series' metric and labels, plus `alertname` for an
alert, so a silence made from a page mutes what the person clicked on and
nothing else.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from alerts.models import Alert, Silence
from core.durations import TimeRangeError, parse_duration
from ingestion.models import Series

MAX_SILENCE = dt.timedelta(days=30)
MAX_REASON = 500
DURATION_CHOICES = ("1h", "4h", "12h", "1d", "3d", "7d")


class SilenceError(ValueError):
    """A silence the form cannot make; the message says which field and why."""


@dataclass(frozen=True)
class SilenceRequest:
    matchers: str
    duration: dt.timedelta
    reason: str


def series_matchers(series: Series) -> str:
    """Matchers of every alert on `series`: its metric and labels, exactly."""
    return Series.make_key(series.metric, series.labels)


def alert_matchers(alert: Alert) -> str:
    """Matchers of one rule's alerts on one series: the series' plus `alertname`."""
    return Series.make_key(alert.series.metric, {**alert.series.labels, "alertname": alert.rule.name})


def read_request(matchers: str, duration_text: str, reason_text: str) -> SilenceRequest:
    """Check the form's duration (`2h`, `1d`; at most 30 days) and reason (required)."""
    try:
        duration = parse_duration(duration_text or "", "duration")
    except TimeRangeError as exc:
        raise SilenceError(str(exc)) from None
    if duration > MAX_SILENCE:
        raise SilenceError(f"duration: at most {MAX_SILENCE.days} days; make a new silence when it ends")
    reason = (reason_text or "").strip()
    if not reason:
        raise SilenceError("reason: say why, so the next person on call knows")
    if len(reason) > MAX_REASON:
        raise SilenceError(f"reason: at most {MAX_REASON} characters")
    return SilenceRequest(matchers, duration, reason)


def create_silence(request: SilenceRequest, by: str, now: dt.datetime) -> tuple[Silence, int]:
    """Store the silence and mark the open alerts it matches at once (the
    evaluator would only at its next run); return it and how many it muted."""
    silence = Silence.objects.create(
        matchers=request.matchers,
        starts_at=now,
        ends_at=now + request.duration,
        comment=request.reason,
        created_by=by[:150],
    )
    muted = [a.pk for a in Alert.objects.open().only("pk", "labels") if silence.matches(a.labels)]
    Alert.objects.filter(pk__in=muted).update(silenced_by=silence)
    return silence, len(muted)


def expire_silence(silence: Silence, now: dt.datetime) -> None:
    """End a silence now; its alerts notify again from the next evaluation."""
    if silence.ends_at > now:
        silence.ends_at = max(now, silence.starts_at)
        silence.save(update_fields=["ends_at"])
    Alert.objects.filter(silenced_by=silence).update(silenced_by=None)


def active_for(labels_list: list[dict], now: dt.datetime) -> list[Silence]:
    """The silences in force now that match any of these label sets."""
    active = Silence.objects.filter(starts_at__lte=now, ends_at__gt=now).order_by("ends_at")
    return [s for s in active if any(s.matches(labels) for labels in labels_list)]
