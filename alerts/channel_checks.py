"""What a notification channel must hold to be saved, per kind.

One function for the API's serializer and the admin's form, so both refuse
the same channels with the same words, each naming its field. Where a URL
may send is `core.outbound`'s rule, checked beside this one.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import parse_qs, urlsplit

from alerts.choices import ChannelKind
from core import outbound

NEEDS_URL = (ChannelKind.WEBHOOK, ChannelKind.ALERTMANAGER, ChannelKind.SLACK, ChannelKind.DINGTALK)
# Their URL is their password: sent in clear, anyone on the way could post as tsmon.
HTTPS_ONLY = {ChannelKind.SLACK: "a Slack webhook URL", ChannelKind.DINGTALK: "a DingTalk robot URL"}


def channel_errors(kind: str, url: str, addresses: list[str], secret: str) -> dict[str, str]:
    """Per field, why a channel of `kind` with these values cannot be saved (empty: it can)."""
    errors = {}
    if kind in NEEDS_URL and not url:
        errors["url"] = f"a {kind} channel needs a URL"
    elif kind in HTTPS_ONLY and not _https_or_allowed(url):
        errors["url"] = (
            f"{HTTPS_ONLY[kind]} holds its token: https only (http only to hosts in the networks"
            " TSMON_OUTBOUND_ALLOWED_NETWORKS lists)"
        )
    elif kind == ChannelKind.DINGTALK and "access_token" not in parse_qs(urlsplit(url).query):
        errors["url"] = (
            "a DingTalk robot URL has an access_token: https://oapi.dingtalk.com/robot/send?access_token=…"
        )
    if kind == ChannelKind.EMAIL and not addresses:
        errors["addresses"] = "an e-mail channel needs at least one address"
    if secret and kind != ChannelKind.DINGTALK:
        errors["secret"] = "only DingTalk channels have a secret"
    elif secret and not secret.startswith("SEC"):
        errors["secret"] = "a DingTalk signing secret starts with SEC (the robot's security setting 'sign')"
    return errors


def _https_or_allowed(url: str) -> bool:
    """https, or http to a host all of whose addresses lie in the networks an administrator allowed."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return True
    if parts.scheme != "http" or not parts.hostname:
        return False
    try:
        addresses = [sockaddr[0] for *_, sockaddr in outbound.resolve(parts.hostname, parts.port or 80)]
    except (OSError, ValueError):
        return False
    allowed = outbound.allowed_networks()
    return bool(addresses) and all(
        any(ipaddress.ip_address(a.split("%", 1)[0]) in network for network in allowed) for a in addresses
    )
