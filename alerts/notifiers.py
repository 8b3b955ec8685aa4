"""Notifiers: send one queued notification through one channel.

Each notifier subclasses `Notifier` and implements `notify(notification)`.
A failure raises `NotifierError(message, permanent=…)`: temporary failures
(timeouts, refused connections, 5xx, 429) are retried with back-off by
`alerts.jobs`; permanent ones (other 4xx, malformed addresses, destinations
`core.outbound` refuses) disable the channel with the reason.
"""

from __future__ import annotations

import http
import http.client
import json
import smtplib
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email

from alerts import alertmanager_push, chat_messages
from alerts.choices import ChannelKind
from alerts.models import Notification, NotificationChannel
from alerts.notifier_text import alert_text, message_subject
from core import outbound

WEBHOOK_TIMEOUT_SECONDS = 10
# Of an answer, only DingTalk's small JSON is read; the rest is never needed.
MAX_ANSWER_BYTES = 65536


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


def post_json(url: str, body, where: str) -> tuple[int, bytes]:
    """POST `body` as JSON to `url`; return the status and the start of the answer.

    Only to the destinations `core.outbound` allows, checked again on every
    connection. Errors name the receiver's origin (`where`), never its path
    or query (which often hold its token), and keep no word of its answer: a
    receiver may echo the URL it was called on (`Cannot POST /hook/SECRET`),
    and delivery errors are readable with the read scope.
    """
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "User-Agent": "tsmon-alerts"},
        method="POST",
    )
    try:
        with outbound.open_url(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:
            return response.status, response.read(MAX_ANSWER_BYTES)
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


class WebhookNotifier(Notifier):
    """POSTs the Alertmanager webhook JSON (version 4), so existing webhook receivers work.

    This is what an Alertmanager sends to its receivers, not what it takes:
    `AlertmanagerNotifier` pushes to an Alertmanager.
    """

    def notify(self, notification: Notification) -> int | None:
        url = self.channel.url
        return post_json(url, notification.payload, outbound.origin(url))[0]


class AlertmanagerNotifier(Notifier):
    """Pushes alerts to an Alertmanager's `POST /api/v2/alerts`, as Prometheus does."""

    def notify(self, notification: Notification) -> int | None:
        url = alertmanager_push.alerts_api_url(self.channel.url)
        return post_json(url, notification.payload["alerts"], outbound.origin(url))[0]


class SlackNotifier(Notifier):
    """POSTs `{"text": ...}` to a Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat)."""

    def notify(self, notification: Notification) -> int | None:
        url = self.channel.url
        return post_json(url, chat_messages.slack_body(notification.payload), outbound.origin(url))[0]


class DingTalkNotifier(Notifier):
    """POSTs a text or markdown message to a DingTalk robot, signed when it has a secret.

    DingTalk answers 200 even to a message it refuses, with an `errcode`: the
    notifier reads it. Only the number goes into the error, not the words.
    """

    def notify(self, notification: Notification) -> int | None:
        channel = self.channel
        url = channel.url
        if channel.secret:
            # DingTalk refuses a timestamp more than an hour off its clock: the time of sending.
            url = chat_messages.dingtalk_signed_url(url, channel.secret, int(time.time() * 1000))
        body = chat_messages.dingtalk_body(notification.payload, channel.message_format)
        where = outbound.origin(channel.url)
        status, answer = post_json(url, body, where)
        errcode = _dingtalk_errcode(answer)
        if errcode:
            temporary = errcode in DINGTALK_TEMPORARY_ERRCODES
            raise NotifierError(f"DingTalk errcode {errcode} from {where}", permanent=not temporary)
        return status


# DingTalk's "system busy" and "sending too fast" (20 messages a minute per robot).
DINGTALK_TEMPORARY_ERRCODES = (-1, 130101)


def _dingtalk_errcode(answer: bytes) -> int:
    """DingTalk's `errcode` (0: sent); 0 too for an answer that is not DingTalk's JSON."""
    try:
        errcode = json.loads(answer).get("errcode", 0)
    except (ValueError, AttributeError):
        return 0
    return errcode if isinstance(errcode, int) else 0


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
    body = "\n\n".join(alert_text(alert) for alert in message["alerts"]) + "\n"
    return message_subject(message), body


NOTIFIERS: dict[str, type[Notifier]] = {
    ChannelKind.WEBHOOK: WebhookNotifier,
    ChannelKind.EMAIL: EmailNotifier,
    ChannelKind.ALERTMANAGER: AlertmanagerNotifier,
    ChannelKind.SLACK: SlackNotifier,
    ChannelKind.DINGTALK: DingTalkNotifier,
}


def notifier_for(channel: NotificationChannel) -> Notifier:
    return NOTIFIERS[channel.kind](channel)
