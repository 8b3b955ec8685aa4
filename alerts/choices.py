"""Enumerations of the alerts app: rule kinds and operators, severities, states, channel kinds, outcomes."""

from django.db import models


class RuleKind(models.TextChoices):
    THRESHOLD = "threshold", "value op limit"
    ANOMALY = "anomaly", "anomaly score ≥ s for a fraction of the window"
    ANOMALY_THRESHOLD = "anomaly_threshold", "anomaly AND value op limit"
    FORECAST = "forecast", "forecast band crosses a limit within the horizon"
    NO_DATA = "no_data", "no points for the window"


class Operator(models.TextChoices):
    GT = ">", ">"
    GE = ">=", ">="
    LT = "<", "<"
    LE = "<=", "<="
    EQ = "==", "=="
    NE = "!=", "!="


class Severity(models.TextChoices):
    CRITICAL = "critical", "critical"
    WARNING = "warning", "warning"
    INFO = "info", "info"


class AlertState(models.TextChoices):
    INACTIVE = "inactive", "inactive"
    PENDING = "pending", "pending"
    FIRING = "firing", "firing"
    RECOVERING = "recovering", "recovering"
    RESOLVED = "resolved", "resolved"


OPEN_STATES = (AlertState.PENDING, AlertState.FIRING, AlertState.RECOVERING)


class ChannelKind(models.TextChoices):
    # The JSON an Alertmanager sends to *its* receivers: for webhook receivers, not for an Alertmanager.
    WEBHOOK = "webhook", "webhook receiver (the JSON Alertmanager sends its receivers)"
    EMAIL = "email", "e-mail"
    ALERTMANAGER = "alertmanager", "Alertmanager (pushed to its API, as Prometheus does)"
    SLACK = "slack", "Slack-compatible incoming webhook"
    DINGTALK = "dingtalk", "DingTalk robot webhook"


class MessageFormat(models.TextChoices):
    MARKDOWN = "markdown", "markdown"
    TEXT = "text", "plain text"


class NotificationOutcome(models.TextChoices):
    PENDING = "pending", "pending"
    SENT = "sent", "sent"
    FAILED = "failed", "failed"
    DROPPED = "dropped", "dropped (channel disabled)"


class DeliveryOutcome(models.TextChoices):
    OK = "ok", "ok"
    TEMPORARY_FAILURE = "temporary_failure", "failed, will retry"
    PERMANENT_FAILURE = "permanent_failure", "failed permanently"
