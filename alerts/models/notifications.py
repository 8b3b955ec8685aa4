"""The notification queue: one row per message to one channel, and each attempt to deliver it.

Notifications are rows in a table used as a queue (`processed_at` NULL = to
send), claimed by a conditional UPDATE so two dispatchers never send the
same one.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from alerts.choices import DeliveryOutcome, NotificationOutcome
from alerts.models.rules import AlertRule, NotificationChannel


class Notification(models.Model):
    """One message to one channel about a group of alerts: a row of the queue.

    `payload` is the Alertmanager webhook (version 4) message as it stood
    when the alerts changed; e-mail and chat messages are rendered from the
    same payload. For an Alertmanager channel it is `{"alerts": [...]}`, the
    list its `POST /api/v2/alerts` takes.
    """

    MAX_ATTEMPTS = 8
    FIRST_RETRY_SECONDS = 30
    MAX_RETRY_SECONDS = 3600
    # A dispatcher that dies mid-send loses its claim after this long.
    CLAIM_SECONDS = 300

    channel = models.ForeignKey(NotificationChannel, on_delete=models.CASCADE, related_name="notifications")
    rule = models.ForeignKey(AlertRule, null=True, on_delete=models.SET_NULL, related_name="notifications")
    status = models.CharField(max_length=16)  # "firing" or "resolved", as in the payload
    group_key = models.TextField()
    payload = models.JSONField()
    alert_ids = ArrayField(models.BigIntegerField(), default=list)
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_until = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(
        max_length=16, choices=NotificationOutcome.choices, default=NotificationOutcome.PENDING
    )

    class Meta:
        db_table = "analytics_notification"
        ordering = ["-created_at", "-id"]
        indexes = [
            # The dispatcher's "what is due": only unprocessed rows, few at any time.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(processed_at__isnull=True),
                name="notification_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.status} {self.group_key} → {self.channel_id}"

    def retry_delay(self) -> dt.timedelta:
        """Exponential back-off after `attempts` failed tries: 30s, 60s, 120s … 1h."""
        seconds = self.FIRST_RETRY_SECONDS * 2 ** max(self.attempts - 1, 0)
        return dt.timedelta(seconds=min(seconds, self.MAX_RETRY_SECONDS))


class Delivery(models.Model):
    """One attempt to send one notification, with how it went and how long it took."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.ForeignKey(NotificationChannel, on_delete=models.CASCADE, related_name="deliveries")
    attempted_at = models.DateTimeField()
    duration_ms = models.FloatField()
    outcome = models.CharField(max_length=24, choices=DeliveryOutcome.choices)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        db_table = "analytics_delivery"
        verbose_name_plural = "deliveries"
        ordering = ["-attempted_at", "-id"]
        indexes = [
            # The API's list, newest first, optionally per channel.
            models.Index(fields=["-attempted_at", "-id"], name="delivery_attempted_idx"),
            models.Index(fields=["channel", "-attempted_at"], name="delivery_channel_idx"),
        ]
