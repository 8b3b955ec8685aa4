"""Alert rules, the alerts they raise, silences and the channels they notify.

The lifecycle follows Prometheus and Grafana: an alert is pending while its
condition holds for less than the rule's `for`, firing after that, recovering
for `keep_firing_for` once the condition clears, then resolved.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone

from alerts.choices import (
    OPEN_STATES,
    AlertState,
    ChannelKind,
    MessageFormat,
    Operator,
    RuleKind,
    Severity,
)
from analytics.models.detection import Detector
from ingestion.models import Series
from ingestion.selectors import Selector, parse_selector

_COMPARE = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


class NotificationChannel(models.Model):
    """Where notifications go: a URL (webhook, Alertmanager, chat) or e-mail addresses.

    A channel that fails permanently (a 4xx other than 429, a malformed
    address) gets a `disabled_reason` and receives nothing until someone
    clears it.
    """

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=16, choices=ChannelKind.choices)
    url = models.URLField(max_length=500, blank=True)
    addresses = ArrayField(models.CharField(max_length=254), default=list, blank=True)
    # A DingTalk robot's signing secret (`SEC…`); never shown by the API.
    secret = models.CharField(max_length=200, blank=True)
    # How chat channels word their messages (DingTalk: text or markdown).
    message_format = models.CharField(
        max_length=16, choices=MessageFormat.choices, default=MessageFormat.MARKDOWN
    )
    disabled_reason = models.TextField(blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "analytics_notificationchannel"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return not self.disabled_reason

    def disable(self, reason: str, now: dt.datetime) -> None:
        self.disabled_reason = reason[:2000]
        self.disabled_at = now
        self.save(update_fields=["disabled_reason", "disabled_at"])


class AlertRule(models.Model):
    """A condition over the series a selector picks, and what to do when it holds.

    `window_seconds` means, per kind: the lookback for the latest point
    (threshold, composite), the window of anomaly scores (anomaly,
    composite), and how long a series may be silent (no_data).
    """

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=24, choices=RuleKind.choices)
    selector = models.TextField(help_text='Prometheus-style selector, e.g. cpu_usage_percent{host=~"web-.*"}')
    operator = models.CharField(max_length=2, choices=Operator.choices, default=Operator.GT)
    threshold = models.FloatField(null=True, blank=True)
    min_score = models.FloatField(default=0.8)
    min_fraction = models.FloatField(default=0.5)
    window_seconds = models.PositiveIntegerField(default=300)
    horizon_seconds = models.PositiveIntegerField(default=86400)
    # The forecast interval whose edge must cross the limit (`hi-80` for `>`).
    forecast_level = models.PositiveSmallIntegerField(default=80)
    # Only this detector's anomalies count (null: any detector's).
    detector = models.ForeignKey(Detector, null=True, blank=True, on_delete=models.SET_NULL)
    for_seconds = models.PositiveIntegerField(default=0)
    keep_firing_for_seconds = models.PositiveIntegerField(default=0)
    repeat_interval_seconds = models.PositiveIntegerField(default=4 * 3600)
    severity = models.CharField(max_length=16, choices=Severity.choices, default=Severity.WARNING)
    labels = models.JSONField(default=dict, blank=True)
    # Django template text; sees labels, value, expected, lo, hi, score, series.
    summary = models.TextField(blank=True)
    annotations = models.JSONField(default=dict, blank=True)
    group_by = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    channels = models.ManyToManyField(NotificationChannel, blank=True, related_name="rules")
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "analytics_alertrule"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def parsed_selector(self) -> Selector:
        return parse_selector(self.selector)

    def compare(self, value: float | None) -> bool:
        """Does `value` satisfy `operator threshold`? An unknown value does not."""
        if value is None or self.threshold is None:
            return False
        return _COMPARE[self.operator](value, self.threshold)

    @property
    def band_edge(self) -> str:
        """The forecast column that must cross the limit: the upper edge for `>`."""
        side = "lo" if self.operator in (Operator.LT, Operator.LE) else "hi"
        return f"{side}-{self.forecast_level}"

    def alert_labels(self, series: Series) -> dict[str, str]:
        """The labels of this rule's alert on one series, as Alertmanager shows them."""
        return {
            **series.labels,
            "__name__": series.metric,
            **{str(k): str(v) for k, v in self.labels.items()},
            "alertname": self.name,
            "severity": self.severity,
        }


class Silence(models.Model):
    """Mutes the alerts whose labels match, between `starts_at` and `ends_at`.

    Silenced alerts still change state; they only do not notify.
    """

    matchers = models.TextField(help_text='Label matchers, e.g. {alertname="HighCPU", host=~"web-.*"}')
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField()
    comment = models.TextField(blank=True)
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "analytics_silence"
        ordering = ["-starts_at"]
        indexes = [
            # "silences active now": ends_at > now, then starts_at <= now on few rows.
            models.Index(fields=["ends_at"], name="silence_ends_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.matchers} until {self.ends_at:%Y-%m-%d %H:%M}"

    def is_active(self, now: dt.datetime) -> bool:
        return self.starts_at <= now < self.ends_at

    def matches(self, labels: dict[str, str]) -> bool:
        """Do an alert's labels (with `__name__`) satisfy every matcher?"""
        selector = parse_selector(self.matchers)
        return selector.matches(labels.get("__name__", ""), labels)


class AlertQuerySet(models.QuerySet):
    def open(self) -> AlertQuerySet:
        return self.filter(state__in=OPEN_STATES)


class Alert(models.Model):
    """One rule on one series, from the first time its condition held until resolved.

    The value, expected band and score are those of the last evaluation at
    which the condition held: what explains the alert.
    """

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts")
    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="alerts")
    state = models.CharField(max_length=16, choices=AlertState.choices, default=AlertState.INACTIVE)
    labels = models.JSONField(default=dict)
    started_at = models.DateTimeField()
    fired_at = models.DateTimeField(null=True, blank=True)
    recovering_since = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    last_evaluated_at = models.DateTimeField(null=True, blank=True)
    value = models.FloatField(null=True, blank=True)
    expected = models.FloatField(null=True, blank=True)
    lo = models.FloatField(null=True, blank=True)
    hi = models.FloatField(null=True, blank=True)
    score = models.FloatField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    # A username or `key:<name>`: API keys have no user row to point at.
    acknowledged_by = models.CharField(max_length=150, blank=True)
    silenced_by = models.ForeignKey(Silence, null=True, blank=True, on_delete=models.SET_NULL)
    last_notified_at = models.DateTimeField(null=True, blank=True)
    # The last time the alert was pushed to the rule's Alertmanager channels.
    last_pushed_at = models.DateTimeField(null=True, blank=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        db_table = "analytics_alert"
        ordering = ["-started_at", "-id"]
        constraints = [
            # De-duplication: one open alert per rule and series.
            models.UniqueConstraint(
                fields=["rule", "series"],
                condition=Q(state__in=OPEN_STATES),
                name="one_open_alert_per_rule_series",
            )
        ]
        indexes = [
            # The evaluator's "open alerts of this rule".
            models.Index(fields=["rule", "state"], name="alert_rule_state_idx"),
            # The API's list, newest first, and its cursor.
            models.Index(fields=["-started_at", "-id"], name="alert_started_idx"),
            models.Index(fields=["series", "-started_at"], name="alert_series_started_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.rule.name} on {self.series.key}: {self.state}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def fingerprint(self) -> str:
        """A stable hash of the label set, as Alertmanager gives each alert."""
        text = json.dumps(self.labels, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def next_state(self, condition: bool, now: dt.datetime) -> str:
        """The state after one evaluation whose condition is `condition`."""
        rule = self.rule
        if self.state in (AlertState.INACTIVE, AlertState.RESOLVED):
            if not condition:
                return self.state
            return AlertState.FIRING if rule.for_seconds == 0 else AlertState.PENDING
        if self.state == AlertState.PENDING:
            if not condition:
                return AlertState.INACTIVE
            held = (now - self.started_at).total_seconds()
            return AlertState.FIRING if held >= rule.for_seconds else AlertState.PENDING
        if condition:
            return AlertState.FIRING
        if self.state == AlertState.FIRING:
            return AlertState.RECOVERING if rule.keep_firing_for_seconds else AlertState.RESOLVED
        recovered = (now - self.recovering_since).total_seconds()
        return AlertState.RESOLVED if recovered >= rule.keep_firing_for_seconds else AlertState.RECOVERING

    def advance(self, condition: bool, now: dt.datetime) -> str | None:
        """Move to the next state and stamp its time; return "firing" or
        "resolved" when the alert just started or stopped firing."""
        before, after = self.state, self.next_state(condition, now)
        self.state, self.last_evaluated_at = after, now
        if after == AlertState.FIRING and self.fired_at is None:
            self.fired_at = now
        if after == AlertState.RECOVERING and before != AlertState.RECOVERING:
            self.recovering_since = now
        if after == AlertState.FIRING:
            self.recovering_since = None
        if after in (AlertState.RESOLVED, AlertState.INACTIVE):
            self.resolved_at = now
        if after == AlertState.FIRING and before in (AlertState.INACTIVE, AlertState.PENDING):
            return "firing"
        if after == AlertState.RESOLVED and before in (AlertState.FIRING, AlertState.RECOVERING):
            return "resolved"
        return None

    def wants_notification(self, event: str | None, now: dt.datetime) -> bool:
        """Should this evaluation notify? Silenced alerts never do; firing
        ones notify once, then every repeat interval unless acknowledged;
        resolved ones only if their firing was told."""
        if self.silenced_by_id is not None:
            return False
        if event == "resolved":
            return self.last_notified_at is not None
        if self.state not in (AlertState.FIRING, AlertState.RECOVERING):
            return False
        if self.last_notified_at is None:
            return True
        if self.acknowledged_at is not None:
            return False
        elapsed = (now - self.last_notified_at).total_seconds()
        return elapsed >= self.rule.repeat_interval_seconds

    def wants_push(self, event: str | None, now: dt.datetime, resend_seconds: int) -> bool:
        """Should this evaluation push the alert to Alertmanager? As Prometheus
        does: a firing alert every `resend_seconds`, since Alertmanager ends
        an alert that is not re-sent before its endsAt; a resolved one once,
        if it was pushed. Acknowledged alerts are still pushed (Alertmanager
        repeats and silences on its own; stopping would resolve them there);
        silenced ones are not, as they notify no channel."""
        if event == "resolved":
            return self.last_pushed_at is not None
        if self.state not in (AlertState.FIRING, AlertState.RECOVERING) or self.silenced_by_id is not None:
            return False
        if self.last_pushed_at is None:
            return True
        return (now - self.last_pushed_at).total_seconds() >= resend_seconds

    def acknowledge(self, by: str, now: dt.datetime) -> None:
        self.acknowledged_at, self.acknowledged_by = now, by[:150]
        self.save(update_fields=["acknowledged_at", "acknowledged_by"])
