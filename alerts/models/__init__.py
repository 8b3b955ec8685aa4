"""Models of the alerts app, one module per subject."""

from alerts.models.notifications import Delivery, Notification
from alerts.models.rules import Alert, AlertQuerySet, AlertRule, NotificationChannel, Silence

__all__ = [
    "Alert",
    "AlertQuerySet",
    "AlertRule",
    "Delivery",
    "Notification",
    "NotificationChannel",
    "Silence",
]
