"""Notifiers: send one queued notification through one channel.

Each notifier subclasses `Notifier` and implements `notify(notification)`.
A failure raises `NotifierError(message, permanent=…)`: temporary failures
(timeouts, refused connections, 5xx, 429) are retried with back-off by
`analytics.alert_jobs`; permanent ones (other 4xx, malformed addresses, destinations
`tsmon.outbound` refuses) disable the channel with the reason.
"""

from __future__ import annotations

import http
import http.client
import json
import smtplib
import urllib.error
import urllib.request

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email

from analytics.models.alerts import ChannelKind, Notification, NotificationChannel
from tsmon import outbound

WEBHOOK_TIMEOUT_SECONDS = 10


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
    """POSTs the Alertmanager webhook JSON (version 4), so existing receivers work.

    Only to the destinations `tsmon.outbound` allows, checked again on every
    connection. Errors name the receiver's origin, never its path or query
    (which often hold its token), and keep no word of its answer: a receiver
    may echo the URL it was called on (`Cannot POST /hook/SECRET`), and
    delivery errors are readable with the read scope.
    """

    def notify(self, notification: Notification) -> int | None:
        request = urllib.request.Request(
            self.channel.url,
            data=json.dumps(notification.payload).encode(),
            headers={"Content-Type": "application/json", "User-Agent": "tsmon-alerts"},
            method="POST",
        )
        where = outbound.origin(self.channel.url)
        try:
            with outbound.open_url(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            exc.close()
            raise _http_error(exc.code, where) from None
        except outbound.OutboundRefused as exc:
            raise NotifierError(f"not sent to {where}: {exc}", permanent=True) from None
        except OSError as exc:  # URLError, timeouts, resets
            reason = getattr(exc, "reason", exc)
            raise NotifierError(f"could not reach {where}: {reason}") from None
        except http.client.HTTPException as exc:  # its text may quote the URL
            raise NotifierError(f"could not reach {where}: {type(exc).__name__}") from None


def _http_error(code: int, where: str) -> NotifierError:
    # The standard phrase, not the receiver's: its own may quote the URL too.
    try:
        phrase = f" {http.HTTPStatus(code).phrase}"
    except ValueError:
        phrase = ""
    # 429 and 5xx pass; any other 4xx repeats itself until someone fixes the channel.
    permanent = 400 <= code < 500 and code != 429
    return NotifierError(f"HTTP {code}{phrase} from {where}", permanent=permanent, http_status=code)


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
