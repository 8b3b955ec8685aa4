"""API-key authentication and scope checks for the REST API.

Machines send `Authorization: Bearer <key>`; InfluxDB clients and Telegraf
send `Authorization: Token <key>` (or `Token <user>:<key>`, InfluxDB 1.8's
form), so all are accepted. People use the
API with their login session instead, with the scopes their Django
permissions give them (core.scopes).
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.utils import timezone
from rest_framework import authentication, exceptions, permissions, throttling
from rest_framework.settings import api_settings

from core.scopes import ApiScope, person_has_scope
from ingestion.models import ApiKey

# Writing last_used_at on every request would turn each read into a write;
# once a minute is enough to tell which keys are alive.
_LAST_USED_RESOLUTION_SECONDS = 60


class KeyUser:
    """The request user of a key-authenticated request."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False

    def __init__(self, key: ApiKey):
        self.key = key
        self.pk = None
        self.username = f"key:{key.name}"

    def __str__(self) -> str:
        return self.username


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keywords = ("bearer", "token")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode(errors="replace").lower() not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Authorization header must be '<Bearer|Token> <key>'.")
        credential = header[1].decode(errors="replace")
        if header[0].lower() == b"token" and ":" in credential:
            # InfluxDB 1.8's token is `username:password` (influxdb-client's
            # compatibility mode): the password is the key, no key holds a ':'.
            credential = credential.partition(":")[2]
        return authenticate_key(credential)

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) to a request without credentials.
        return 'Bearer realm="tsmon"'


def authenticate_key(plaintext: str) -> tuple[KeyUser, ApiKey]:
    """DRF's (user, auth) for a key sent in any form; 401 if it is unknown or revoked."""
    key = _live_key(plaintext)
    if key is None:
        raise exceptions.AuthenticationFailed("Unknown or revoked API key.")
    _mark_used(key)
    return KeyUser(key), key


# Live keys this process found lately, by the SHA-256 of their plaintext, with
# when they were found (`_clock`). An agent's every write would otherwise read
# the key table; a key revoked (or changed) in another process is refused
# here once TSMON_API_KEY_CACHE_SECONDS have passed since it was found, and
# at once if revoked in this one (`forget_keys`). Unknown keys are not kept.
_live_keys: dict[str, tuple[ApiKey, float]] = {}
_LIVE_KEYS_MAX = 10_000
_clock = time.monotonic


def _live_key(plaintext: str) -> ApiKey | None:
    digest = hashlib.sha256(plaintext.encode()).hexdigest()
    window = settings.TSMON_API_KEY_CACHE_SECONDS
    cached = _live_keys.get(digest)
    if cached is not None and _clock() - cached[1] < window:
        return cached[0]
    key = ApiKey.find(plaintext)
    if key is None:
        _live_keys.pop(digest, None)
    elif window > 0:
        if len(_live_keys) >= _LIVE_KEYS_MAX:
            _live_keys.clear()  # rare and simple: the live ones are found again
        _live_keys[digest] = (key, _clock())
    return key


def forget_keys() -> None:
    """Drop the remembered keys (after revoking keys in this process)."""
    _live_keys.clear()


def _mark_used(key: ApiKey) -> None:
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > _LAST_USED_RESOLUTION_SECONDS:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now  # the remembered key is marked once a minute too


class HasScope(permissions.BasePermission):
    """Allow a request whose key, or whose signed-in person, has the view's `required_scope`.

    A person's scopes come from their Django permissions (core.scopes),
    the same mapping the pages use.
    """

    message = "This API key (or account) lacks the scope this endpoint needs."

    def has_permission(self, request, view) -> bool:
        scope = getattr(view, "required_scope", ApiScope.READ)
        if isinstance(request.auth, ApiKey):
            return request.auth.allows(scope)
        return person_has_scope(request.user, scope)


class KeyRateThrottle(throttling.ScopedRateThrottle):
    """Limit requests per API key (else per user, else per address) and scope.

    The scope is the view's `required_scope` (read, write or admin), with
    rates from TSMON_THROTTLE_READ / TSMON_THROTTLE_WRITE. Counts live in
    Django's cache, per process unless a shared cache is configured: a
    guard against a runaway client, not a security boundary.
    """

    def allow_request(self, request, view):
        self.scope = getattr(view, "required_scope", None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return throttling.SimpleRateThrottle.allow_request(self, request, view)

    def get_rate(self):
        # Read at request time, so a changed setting takes effect (and tests can set it).
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiKey):
            ident = f"key:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"addr:{self.get_ident(request)}"
        return f"throttle:{self.scope}:{ident}"


def requester_source(request):
    """The Source bound to the request's API key, if any."""
    return request.auth.source if isinstance(request.auth, ApiKey) else None
