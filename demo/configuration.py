"""The detectors and alert rules the demo data calls for."""

from __future__ import annotations

from alerts.choices import Operator, RuleKind, Severity
from alerts.models import AlertRule
from analytics.choices import DetectorKind
from analytics.models import Detector


def create_demo_detectors() -> list[Detector]:
    """The peer-group detector the demo data calls for: its web hosts are peers."""
    detector, _ = Detector.objects.get_or_create(
        name="web hosts as peers",
        defaults={
            "selector": '{host=~"web-.*"}',
            "kind": DetectorKind.PEER_GROUP,
            "params": {"window": "1h", "step": "1m", "method": "mad"},
            "min_score": 0.5,
        },
    )
    return [detector]


def create_demo_alert_rules() -> list[AlertRule]:
    """Alert rules the demo data makes fire, so the alert pages have something true to show."""
    rules = [
        {
            "name": "disk full within 7 days",
            "kind": RuleKind.FORECAST,
            "selector": "disk_used_percent",
            "operator": Operator.GE,
            "threshold": 100,
            "horizon_seconds": 7 * 86400,
            "forecast_level": 80,
            "severity": Severity.CRITICAL,
        },
        {
            "name": "memory above 80 %",
            "kind": RuleKind.THRESHOLD,
            "selector": "memory_used_percent",
            "operator": Operator.GT,
            "threshold": 80,
            "window_seconds": 86400,  # the demo's last point counts for a day
            "for_seconds": 0,
            "severity": Severity.WARNING,
        },
    ]
    return [AlertRule.objects.get_or_create(name=r["name"], defaults=r)[0] for r in rules]
