"""The alerts app's periodic jobs (registered with core.schedule when the app starts)."""

from __future__ import annotations

from alerts.jobs import dispatch_notifications, evaluate_alert_rules
from core.scheduler import PeriodicJob


def periodic_jobs() -> list[PeriodicJob]:
    return [
        PeriodicJob("evaluate_alert_rules", 30, evaluate_alert_rules),
        PeriodicJob("dispatch_notifications", 10, dispatch_notifications),
    ]
