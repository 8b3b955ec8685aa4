"""Alert jobs: evaluate the rules, dispatch the queued notifications.

Plain functions that take `now`, for the scheduler, Celery and tests alike.
Each rule is evaluated in its own transaction (its alerts and notifications
are stored together or not at all). Sending happens outside any
transaction: a notification is claimed by a conditional UPDATE first, so two
dispatchers never send the same one, and the outcome is stored after.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from django.db import transaction
from django.db.models import Q

from alerts import evaluation
from alerts.choices import AlertState, DeliveryOutcome, NotificationOutcome
from alerts.models import Alert, AlertRule, Delivery, Notification, Silence
from alerts.notifiers import NotifierError, notifier_for

logger = logging.getLogger(__name__)

DISPATCH_BATCH = 100


def evaluate_alert_rules(now: dt.datetime) -> dict:
    """Evaluate every enabled rule at `now`; return counts for the log."""
    silences = evaluation.active_silences(now)
    totals = {"rules": 0, "failed": 0, "alerts": 0, "changed": 0, "notifications": 0}
    totals["closed"] = close_alerts_of_disabled_rules(now)
    for rule in AlertRule.objects.filter(enabled=True).prefetch_related("channels"):
        try:
            outcome = evaluate_one_rule(rule, now, silences)
        except Exception:  # one broken rule must not silence the others
            logger.exception("alert rule %r failed to evaluate", rule.name)
            totals["failed"] += 1
            continue
        if outcome is not None:
            totals["rules"] += 1
            totals["alerts"] += outcome.n_alerts
            totals["changed"] += outcome.n_changed
            totals["notifications"] += outcome.n_notifications
    return totals


def close_alerts_of_disabled_rules(now: dt.datetime) -> int:
    """Resolve, without notifying, the open alerts of rules switched off:
    nothing evaluates them any more, so nothing else would."""
    open_alerts = Alert.objects.open().filter(rule__enabled=False)
    return open_alerts.update(state=AlertState.RESOLVED, resolved_at=now, last_evaluated_at=now)


def evaluate_one_rule(
    rule: AlertRule, now: dt.datetime, silences: list[Silence]
) -> evaluation.RuleOutcome | None:
    """Evaluate one rule in one transaction; None if another evaluator holds it."""
    with transaction.atomic():
        # Two schedulers evaluating one rule at once would race to open the
        # same alert; the second skips the rule instead of waiting.
        locked = AlertRule.objects.select_for_update(skip_locked=True).filter(pk=rule.pk)
        if not list(locked.values_list("pk", flat=True)):
            return None
        return evaluation.evaluate_rule(rule, now, silences)


def dispatch_notifications(now: dt.datetime, limit: int = DISPATCH_BATCH) -> dict:
    """Send the notifications due at `now` (at most `limit`); return counts for the log."""
    totals = {outcome: 0 for outcome in DeliveryOutcome.values} | {"dropped": 0, "skipped": 0}
    for pk in due_notification_ids(now, limit):
        if not claim_notification(pk, now):
            totals["skipped"] += 1  # another dispatcher has it
            continue
        notification = Notification.objects.select_related("channel").get(pk=pk)
        totals[deliver(notification, now)] += 1
    return totals


def due_notification_ids(now: dt.datetime, limit: int) -> list[int]:
    due = Notification.objects.filter(processed_at__isnull=True, next_attempt_at__lte=now).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )
    return list(due.order_by("next_attempt_at", "id").values_list("pk", flat=True)[:limit])


def claim_notification(pk: int, now: dt.datetime) -> bool:
    """Take a notification for sending; True if it is ours.

    A conditional UPDATE: of two dispatchers, PostgreSQL lets one update the
    row and the other, re-checking the condition after the first commits,
    updates nothing. A claim expires, so a dispatcher that died mid-send
    does not hold the notification for ever.
    """
    claimable = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    until = now + dt.timedelta(seconds=Notification.CLAIM_SECONDS)
    return (
        Notification.objects.filter(claimable, pk=pk, processed_at__isnull=True).update(claimed_until=until)
        == 1
    )


def deliver(notification: Notification, now: dt.datetime) -> str:
    """Try to send a claimed notification once and store how it went; return the outcome."""
    channel = notification.channel
    if not channel.is_active:
        _finish(notification, NotificationOutcome.DROPPED, now)
        return "dropped"
    started = time.perf_counter()
    try:
        status = notifier_for(channel).notify(notification)
    except NotifierError as exc:
        duration_ms = (time.perf_counter() - started) * 1000
        return _record_failure(notification, exc, duration_ms, now)
    duration_ms = (time.perf_counter() - started) * 1000
    with transaction.atomic():
        _delivery(notification, now, duration_ms, DeliveryOutcome.OK, status, "")
        notification.attempts += 1
        _finish(notification, NotificationOutcome.SENT, now)
    return DeliveryOutcome.OK


def _record_failure(
    notification: Notification, exc: NotifierError, duration_ms: float, now: dt.datetime
) -> str:
    outcome = DeliveryOutcome.PERMANENT_FAILURE if exc.permanent else DeliveryOutcome.TEMPORARY_FAILURE
    logger.warning("notification %s to %s failed: %s", notification.pk, notification.channel, exc)
    with transaction.atomic():
        _delivery(notification, now, duration_ms, outcome, exc.http_status, str(exc))
        notification.attempts += 1
        if exc.permanent:
            notification.channel.disable(str(exc), now)
            _finish(notification, NotificationOutcome.FAILED, now)
        elif notification.attempts >= Notification.MAX_ATTEMPTS:
            _finish(notification, NotificationOutcome.FAILED, now)
        else:
            notification.next_attempt_at = now + notification.retry_delay()
            notification.claimed_until = None
            notification.save(update_fields=["attempts", "next_attempt_at", "claimed_until"])
    return outcome


def _delivery(notification, now, duration_ms, outcome, http_status, error) -> Delivery:
    return Delivery.objects.create(
        notification=notification,
        channel=notification.channel,
        attempted_at=now,
        duration_ms=duration_ms,
        outcome=outcome,
        http_status=http_status,
        error=error,
    )


def _finish(notification: Notification, outcome: str, now: dt.datetime) -> None:
    notification.outcome, notification.processed_at, notification.claimed_until = outcome, now, None
    notification.save(update_fields=["attempts", "outcome", "processed_at", "claimed_until"])
