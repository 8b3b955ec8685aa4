"""Notifiers: send one queued notification through one channel.

Each notifier subclasses `Notifier` and implements `notify(notification)`.
A failure raises `NotifierError(message, permanent=…)`: temporary failures
(timeouts, refused connections, 5xx, 429) are retried with back-off by
`analytics.alert_jobs`; permanent ones (other 4xx, malformed addresses)
disable the channel with the reason.
"""

from __future__ import annotations

import http.client
import json
import smtplib
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email

from analytics.models.alerts import ChannelKind, Notification, NotificationChannel

WEBHOOK_TIMEOUT_SECONDS = 10
_ERROR_BODY_CHARS = 500


class NotifierError(Exception):
    """A notification was not delivered; `permanent` says whether retrying can help."""

    def __init__(self, message: str, permanent: bool = False, http_status: int | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.http_status = http_status


class Notifier:
    """Sends notifications through one channel."""

    def __init__(self, channel: NotificationChannel):
        self.channel = channel

    def notify(self, notification: Notification) -> int | None:
        """Send `notification`; return the HTTP status if there is one, raise NotifierError if not sent."""
        raise NotImplementedError


class WebhookNotifier(Notifier):
    """POSTs the Alertmanager webhook JSON (version 4), so existing receivers work."""

    def notify(self, notification: Notification) -> int | None:
        request = urllib.request.Request(
            self.channel.url,
            data=json.dumps(notification.payload).encode(),
            headers={"Content-Type": "application/json", "User-Agent": "tsmon-alerts"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            raise _http_error(exc) from None
        except (OSError, http.client.HTTPException) as exc:  # URLError, timeouts, resets
            reason = getattr(exc, "reason", exc)
            raise NotifierError(f"could not reach {origin(self.channel.url)}: {reason}") from None


def origin(url: str) -> str:
    """Scheme, host and port of a URL: what an error may show. The path and
    query of a webhook often hold its token (Slack, PagerDuty), and delivery
    errors are readable with the read scope."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}/…"


def _http_error(exc: urllib.error.HTTPError) -> NotifierError:
    body = exc.read(_ERROR_BODY_CHARS).decode(errors="replace")
    # 429 and 5xx pass; any other 4xx repeats itself until someone fixes the channel.
    permanent = 400 <= exc.code < 500 and exc.code != 429
    return NotifierError(f"HTTP {exc.code}: {body}".strip(), permanent=permanent, http_status=exc.code)


class EmailNotifier(Notifier):
    """Sends a plain-text e-mail through Django's mail settings."""

    def notify(self, notification: Notification) -> int | None:
        addresses = self.channel.addresses
        if not addresses:
            raise NotifierError("the channel has no addresses", permanent=True)
        for address in addresses:
            try:
                validate_email(address)
            except ValidationError:
                raise NotifierError(f"{address!r} is not an e-mail address", permanent=True) from None
        subject, body = render_email(notification.payload)
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, addresses)
        except smtplib.SMTPRecipientsRefused as exc:
            raise NotifierError(f"recipients refused: {exc.recipients}", permanent=True) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise NotifierError(f"could not send mail: {exc}") from None
        return None


def render_email(message: dict) -> tuple[str, str]:
    """Subject and body of the e-mail telling an Alertmanager-style message."""
    alerts = message["alerts"]
    firing = sum(1 for a in alerts if a["status"] == "firing")
    group = ", ".join(f"{k}={v}" for k, v in message["groupLabels"].items())
    count = f"FIRING:{firing}" if firing else "RESOLVED"
    subject = f"[{count}] {group}"
    return subject, "\n\n".join(_alert_text(alert) for alert in alerts) + "\n"


def _alert_text(alert: dict) -> str:
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


NOTIFIERS: dict[str, type[Notifier]] = {
    ChannelKind.WEBHOOK: WebhookNotifier,
    ChannelKind.EMAIL: EmailNotifier,
}


def notifier_for(channel: NotificationChannel) -> Notifier:
    return NOTIFIERS[channel.kind](channel)
