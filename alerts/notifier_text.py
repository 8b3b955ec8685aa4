"""The words of a notification, shared by e-mail and chat channels.

Rendered from the Alertmanager webhook message a notification stores: a
subject such as `[FIRING:2] alertname=HighCPU`, and a few lines per alert.
"""

from __future__ import annotations


def message_subject(message: dict) -> str:
    """`[FIRING:<n>] <group labels>`, or `[RESOLVED] ...` when none fires."""
    firing = sum(1 for a in message["alerts"] if a["status"] == "firing")
    group = ", ".join(f"{k}={v}" for k, v in message["groupLabels"].items())
    count = f"FIRING:{firing}" if firing else "RESOLVED"
    return f"[{count}] {group}"


def alert_text(alert: dict) -> str:
    """One alert in plain lines: summary, the numbers, labels, times, links."""
    notes = alert["annotations"]
    lines = [f"[{alert['status'].upper()}] {notes.get('summary', '')}"]
    for name in ("value", "expected", "band", "score"):
        if notes.get(name):
            lines.append(f"{name}: {notes[name]}")
    lines.append("labels: " + ", ".join(f"{k}={v}" for k, v in sorted(alert["labels"].items())))
    lines.append(f"since: {alert['startsAt']}")
    if alert["status"] == "resolved":
        lines.append(f"resolved: {alert['endsAt']}")
    lines.append(f"series: {alert['generatorURL']}")
    if notes.get("alert_url"):
        lines.append(f"alert: {notes['alert_url']}")
    return "\n".join(lines)
