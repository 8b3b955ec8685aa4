"""What an alert says: Alertmanager's webhook message, the annotations a
rule's templates render, and the links back to tsmon.

Shared by the notifiers (webhook, e-mail, chat) and the pushes to an
Alertmanager (alerts.alertmanager_push), so every channel tells the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.template import Context, Engine, TemplateSyntaxError

from alerts.choices import AlertState, RuleKind
from alerts.models import Alert, AlertRule

# Alertmanager's "not resolved yet" end time.
ZERO_TIME = "0001-01-01T00:00:00Z"

_engine = Engine(autoescape=False)


def public_url() -> str:
    return settings.TSMON_PUBLIC_URL.rstrip("/")


def series_url(series_id: int) -> str:
    return f"{public_url()}/api/v1/series/{series_id}"


def alert_url(alert_id: int) -> str:
    return f"{public_url()}/api/v1/alerts/{alert_id}"


def build_message(rule: AlertRule, group_labels: dict[str, str], alerts: Sequence[Alert]) -> dict:
    """The Alertmanager webhook message (version 4) about `alerts`, minus `receiver`."""
    items = [alert_item(rule, alert) for alert in alerts]
    firing = any(item["status"] == "firing" for item in items)
    return {
        "version": "4",
        "groupKey": "{}:" + braced(group_labels),
        "truncatedAlerts": 0,
        "status": "firing" if firing else "resolved",
        "groupLabels": group_labels,
        "commonLabels": _common([item["labels"] for item in items]),
        "commonAnnotations": _common([item["annotations"] for item in items]),
        "externalURL": public_url(),
        "alerts": items,
    }


def alert_item(rule: AlertRule, alert: Alert) -> dict:
    """One alert as Alertmanager's webhook lists it, annotations saying why."""
    resolved = alert.state in (AlertState.RESOLVED, AlertState.INACTIVE)
    return {
        "status": "resolved" if resolved else "firing",
        "labels": public_labels(alert.labels),
        "annotations": annotations(rule, alert),
        "startsAt": rfc3339(alert.fired_at or alert.started_at),
        "endsAt": rfc3339(alert.resolved_at) if resolved else ZERO_TIME,
        "generatorURL": series_url(alert.series_id),
        "fingerprint": alert.fingerprint,
    }


def annotations(rule: AlertRule, alert: Alert) -> dict[str, str]:
    """The rule's templates rendered for `alert`, plus the numbers that explain it."""
    context = template_context(alert)
    texts = {"summary": rule.summary or default_summary(rule), **rule.annotations}
    rendered = {str(name): render_template(str(text), context) for name, text in texts.items()}
    numbers = {
        "value": _number(alert.value),
        "expected": _number(alert.expected),
        "band": f"[{_number(alert.lo)}, {_number(alert.hi)}]" if alert.lo is not None else "",
        "score": _number(alert.score),
    }
    links = {"series": alert.series.key, "series_url": series_url(alert.series_id)}
    if alert.pk:
        links["alert_url"] = alert_url(alert.pk)
    return {**rendered, **{k: v for k, v in numbers.items() if v}, **links}


def default_summary(rule: AlertRule) -> str:
    texts = {
        RuleKind.THRESHOLD: "{{ series }} is {{ value }} ({{ rule.operator }} {{ rule.threshold }})",
        RuleKind.ANOMALY: "{{ series }} is anomalous: {{ value }}, expected {{ expected }} (score {{ score }})",
        RuleKind.ANOMALY_THRESHOLD: "{{ series }} is anomalous and {{ rule.operator }} {{ rule.threshold }}: "
        "{{ value }}, expected {{ expected }} (score {{ score }})",
        RuleKind.FORECAST: "{{ series }} is forecast to reach {{ rule.threshold }} by {{ details.crosses_at }}",
        RuleKind.NO_DATA: "{{ series }} has sent no data for {{ rule.window_seconds }}s",
    }
    return texts[rule.kind]


def template_context(alert: Alert) -> dict:
    return {
        "labels": public_labels(alert.labels),
        "value": _number(alert.value),
        "expected": _number(alert.expected),
        "lo": _number(alert.lo),
        "hi": _number(alert.hi),
        "score": _number(alert.score),
        "details": alert.details,
        "series": alert.series.key,
        # Plain values, not the model: templates call what they are given.
        "rule": {
            "name": alert.rule.name,
            "kind": alert.rule.kind,
            "operator": alert.rule.operator,
            "threshold": _number(alert.rule.threshold),
            "window_seconds": alert.rule.window_seconds,
            "severity": alert.rule.severity,
        },
        "state": alert.state,
    }


def check_template(text: str) -> None:
    """Raise TemplateSyntaxError if `text` is not a valid template."""
    _engine.from_string(text)


def render_template(text: str, context: dict) -> str:
    try:
        return _engine.from_string(text).render(Context(context, autoescape=False)).strip()
    except TemplateSyntaxError as exc:  # stored before validation existed: say so, don't fail
        return f"(template error: {exc})"


def public_labels(labels: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in labels.items() if not k.startswith("__")}


def _common(dicts: list[dict]) -> dict:
    if not dicts:
        return {}
    first, *rest = dicts
    return {k: v for k, v in first.items() if all(d.get(k) == v for d in rest)}


def braced(labels: dict[str, str]) -> str:
    return "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"


def rfc3339(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
