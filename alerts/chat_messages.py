"""The bodies tsmon posts to chat webhooks: Slack-compatible and DingTalk robots.

Both are rendered from the notification's payload (the Alertmanager webhook
message), with the same words as the e-mail: its subject as a heading, then
one paragraph per alert.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote

from alerts.notifier_text import alert_text, message_subject


def slack_body(message: dict) -> dict:
    """An incoming-webhook message (Slack, Mattermost, Rocket.Chat): `{"text": ...}` in mrkdwn."""
    paragraphs = [f"*{_slack_escape(message_subject(message))}*"]
    paragraphs += [_slack_escape(alert_text(alert)) for alert in message["alerts"]]
    return {"text": "\n\n".join(paragraphs)}


def _slack_escape(text: str) -> str:
    # Slack reads <...> as links and mentions (<!channel>); a label value must not page everyone.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def dingtalk_body(message: dict, message_format: str) -> dict:
    """A DingTalk robot message, `markdown` or `text`."""
    subject = message_subject(message)
    texts = [alert_text(alert) for alert in message["alerts"]]
    if message_format == "text":
        return {"msgtype": "text", "text": {"content": "\n\n".join([subject, *texts])}}
    # DingTalk's markdown joins single newlines; a line break needs two spaces before it.
    paragraphs = [f"#### {subject}", *(text.replace("\n", "  \n") for text in texts)]
    return {"msgtype": "markdown", "markdown": {"title": subject, "text": "\n\n".join(paragraphs)}}


def dingtalk_signed_url(url: str, secret: str, timestamp_ms: int) -> str:
    """The robot URL with DingTalk's `timestamp` and `sign` (HMAC-SHA256 of
    "timestamp\\nsecret" keyed by the secret, base64, URL-quoted) appended."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    sign = quote(base64.b64encode(digest).decode(), safe="")
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}timestamp={timestamp_ms}&sign={sign}"
