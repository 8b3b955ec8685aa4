"""Typed readers for settings that come from environment variables.

Every setting of tsmon is an environment variable of the same name. A
malformed value stops start-up with a message that names the variable and
what was expected, instead of surfacing later as a confusing failure.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit


class ConfigError(Exception):
    """An environment variable holds a value tsmon cannot use."""


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def env_str(name: str, default: str | None = None) -> str | None:
    """Return the variable as a string, or `default` when unset or empty."""
    value = _raw(name)
    return default if value is None else value


def env_bool(name: str, default: bool) -> bool:
    """Return the variable as a boolean (1/0, true/false, yes/no, on/off)."""
    value = _raw(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}={value!r}: expected a boolean (true/false, 1/0, yes/no, on/off)")


def env_int(name: str, default: int, minimum: int | None = None) -> int:
    """Return the variable as an integer, at least `minimum` when given."""
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r}: expected a whole number") from None
    if minimum is not None and number < minimum:
        raise ConfigError(f"{name}={value!r}: must be at least {minimum}")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    """Return a comma-separated variable as a list of non-empty items."""
    value = _raw(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_networks(name: str, default: list[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Return a comma-separated list of IP networks (`10.0.0.0/8`, `::1/128`, `127.0.0.1`)."""
    networks = []
    for item in env_list(name, default):
        try:
            networks.append(ipaddress.ip_network(item))
        except ValueError as exc:
            raise ConfigError(f"{name}: {item!r} is not an IP network ({exc})") from None
    return networks


def env_secret(name: str) -> str | None:
    """Return a secret from `NAME`, or from the file named by `NAME_FILE`.

    The file form lets container secrets and systemd credentials be used
    without putting the secret itself in the environment.
    """
    value = _raw(name)
    if value is not None:
        return value
    path = _raw(f"{name}_FILE")
    if path is None:
        return None
    try:
        return Path(path).read_text().strip()
    except OSError as exc:
        raise ConfigError(f"{name}_FILE={path!r}: cannot read it ({exc.strerror})") from None


def parse_database_url(url: str, name: str = "DATABASE_URL") -> dict:
    """Turn a `postgres://user:password@host:port/dbname?options` URL into
    Django's DATABASES entry.

    A Unix socket is given as `?host=/path/to/dir`, as libpq accepts it.
    Other query options are passed to psycopg2 unchanged (e.g. sslmode).
    """
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ConfigError(f"{name}: expected a postgres:// or postgresql:// URL, got scheme {parts.scheme!r}")
    dbname = unquote(parts.path.lstrip("/"))
    if not dbname:
        raise ConfigError(f"{name}: the URL names no database (postgres://host:5432/DBNAME)")
    options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    host = options.pop("host", None) or parts.hostname or ""
    try:
        port = parts.port
    except ValueError:
        raise ConfigError(f"{name}: the port is not a number") from None
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": dbname,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": host,
        "PORT": str(port or ""),
        "OPTIONS": options,
    }
