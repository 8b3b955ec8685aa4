"""Where tsmon's own requests may go: webhooks and Prometheus scrapes.

Both fetch URLs an administrator typed, from inside the network tsmon runs
in. Unchecked, such a URL reaches what the outside cannot (the cloud's
metadata service at 169.254.169.254, the database, an admin port on
localhost), and whether it answered shows with a read key (server-side
request forgery). So:

- only http and https;
- only public addresses: loopback, private, link-local (where metadata
  services live), shared, reserved and multicast ones are refused, unless
  TSMON_OUTBOUND_ALLOWED_NETWORKS lists them (`127.0.0.1/32,10.0.0.0/8` to
  scrape a node_exporter on this host or the LAN);
- the address is checked when connecting, on the address connected to: a
  name that was public when its URL was saved may point at 127.0.0.1 later
  (DNS rebinding);
- a redirect is followed only on the same host (http may become https), and
  its connection is checked again;
- proxies from the environment (HTTP_PROXY) are not used: through a proxy,
  tsmon could not see where a request goes.

`check_url` is for saving a URL (a 400 naming the field), `open_url` for
sending. Refusals raise `OutboundRefused`, whose message names no more of
the URL than its origin.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

SCHEMES = ("http", "https")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class OutboundRefused(Exception):
    """tsmon may not send a request there; the message says why.

    Not an OSError, so urllib lets it through as it is instead of wrapping
    it in a URLError."""


def origin(url: str) -> str:
    """Scheme, host and port of a URL: what messages may show. The path and
    query of a webhook often hold its token (Slack, PagerDuty), and the
    userinfo of a scrape URL its password."""
    parts = urlsplit(url)
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{parts.hostname or ''}{port}/…"


def check_url(url: str) -> None:
    """Raise OutboundRefused unless `url` is http(s) and its host resolves only
    to addresses tsmon may reach. A name that does not resolve (yet) passes:
    it is checked again on every connection."""
    host, port = _host_and_port(url)
    try:
        addresses = resolve(host, port)
    except OSError:
        return
    for *_, sockaddr in addresses:
        check_address(sockaddr[0], host)


def validate_destination(url: str) -> None:
    """`check_url` as a Django validator: for the fields of forms and serializers that save a URL."""
    if url:
        try:
            check_url(url)
        except OutboundRefused as exc:
            raise ValidationError(str(exc), code="destination") from None


def _host_and_port(url: str) -> tuple[str, int]:
    """The host and port an http(s) URL names; OutboundRefused for any other URL."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise OutboundRefused(f"only http and https URLs are allowed, not {parts.scheme or 'no scheme'!r}")
    if not parts.hostname:
        raise OutboundRefused("the URL names no host")
    try:
        return parts.hostname, parts.port or _DEFAULT_PORTS[parts.scheme]
    except ValueError:
        raise OutboundRefused("the URL's port is not a number from 0 to 65535") from None


def resolve(host: str, port: int) -> list[tuple]:
    """getaddrinfo for TCP: the one place tsmon's outbound requests look names up."""
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)


def check_address(address: str, host: str) -> None:
    """Raise OutboundRefused unless tsmon may connect to `address` (which `host` resolved to)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # no IPv6 zone
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if any(ip in network for network in allowed_networks()):
        return
    if not ip.is_global or ip.is_multicast:
        shown = host if host == str(ip) else f"{host} ({ip})"
        kind = _kind(ip)
        raise OutboundRefused(
            f"{shown} is {'an' if kind[0] in 'aeiou' else 'a'} {kind} address; tsmon sends requests"
            " to public addresses only, and to the networks TSMON_OUTBOUND_ALLOWED_NETWORKS lists"
        )


def allowed_networks() -> list:
    return [ipaddress.ip_network(network) for network in settings.TSMON_OUTBOUND_ALLOWED_NETWORKS]


def _kind(ip) -> str:
    for kind in ("loopback", "link-local", "unspecified", "multicast", "private", "reserved"):
        if getattr(ip, f"is_{kind.replace('-', '_')}"):
            return kind
    return "non-public"


def open_url(request: urllib.request.Request, timeout: float):
    """`urlopen(request)` within the rules above; OutboundRefused where they refuse."""
    _host_and_port(request.full_url)
    return _OPENER.open(request, timeout=timeout)


def _connect_checked(address, timeout=None, source_address=None, *args):
    """socket.create_connection, to the resolved addresses tsmon may reach only."""
    host, port = address
    refused = failed = None
    for family, kind, proto, _, sockaddr in resolve(host, port):
        try:
            check_address(sockaddr[0], host)
        except OutboundRefused as exc:
            refused = exc
            continue
        sock = socket.socket(family, kind, proto)
        try:
            if isinstance(timeout, int | float):
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            sock.close()
            failed = exc
    raise failed or refused or OSError(f"{host} has no address")


class _CheckedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = _connect_checked


class _CheckedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = _connect_checked


class _CheckedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_CheckedHTTPConnection, req)


class _CheckedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_CheckedHTTPSConnection, req, context=self._context)


class _SameHostRedirectHandler(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        old, new = urlsplit(req.full_url), urlsplit(newurl)
        downgrade = old.scheme == "https" and new.scheme != "https"
        if new.scheme not in SCHEMES or new.hostname != old.hostname or downgrade:
            fp.close()
            raise OutboundRefused(
                f"{origin(req.full_url)} redirected to {origin(newurl)}:"
                " tsmon follows redirects on the same host only"
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _build_opener() -> urllib.request.OpenerDirector:
    # By hand rather than build_opener(): that would add the proxy, ftp:,
    # file: and data: handlers.
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.UnknownHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
        _SameHostRedirectHandler(),
        _CheckedHTTPHandler(),
        _CheckedHTTPSHandler(),
    ):
        opener.add_handler(handler)
    return opener


_OPENER = _build_opener()
