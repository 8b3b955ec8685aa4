"""Models of the analytics app, one module per subject."""

from analytics.models.detection import Anomaly, AnomalyEvent, Detector, DetectorState, Forecast
from analytics.models.feedback import FalsePositive

__all__ = [
    "Anomaly",
    "AnomalyEvent",
    "Detector",
    "DetectorState",
    "FalsePositive",
    "Forecast",
]
