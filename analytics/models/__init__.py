"""Models of the analytics app, one module per subject."""

from analytics.models.alerts import Alert, AlertRule, Delivery, Notification, NotificationChannel, Silence
from analytics.models.detection import Anomaly, AnomalyEvent, Detector, DetectorState, Forecast
from analytics.models.feedback import FalsePositive

__all__ = [
    "Alert",
    "AlertRule",
    "Delivery",
    "Notification",
    "NotificationChannel",
    "Silence",
    "Anomaly",
    "AnomalyEvent",
    "Detector",
    "DetectorState",
    "FalsePositive",
    "Forecast",
]
