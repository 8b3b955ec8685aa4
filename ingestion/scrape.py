"""Prometheus scraping: pull exposition text from targets on their schedule.

Targets come from the database (`ScrapeTarget`, each with its interval and
labels) and from the ``TSMON_SCRAPE_TARGETS`` setting: comma-separated
``job=url`` items (or bare URLs, job ``scrape``), every
``TSMON_SCRAPE_INTERVAL_SECONDS``. The scheduler calls `scrape_due_targets`.

As Prometheus does, every sample gets ``job`` and ``instance`` (host:port)
labels, and each scrape also writes ``up`` (1 or 0) and
``scrape_duration_seconds`` for the target, so a target that stops
answering shows as a series that drops to 0 rather than as silence.
NaN samples (summaries without observations) are skipped, not refused.

A target that needs credentials gets them as Prometheus would send them:
`http://user:password@host/metrics` is sent as Basic authentication, and a
file named after the job in TSMON_SCRAPE_TOKENS_DIR holds a bearer token
(as Prometheus's `authorization.credentials_file`). Neither is ever logged
nor stored: logs and reports show the URL without userinfo or query.
Targets are reached only where `core.outbound` allows.

The due targets are fetched at the same time (up to SCRAPE_CONCURRENCY), so
a slow or dead target delays no other by its timeout; the pages are then
parsed and stored one after another in the calling thread, which owns the
database connection.
"""

from __future__ import annotations

import base64
import datetime as dt
import http.client
import logging
import math
import re
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from django.conf import settings

from core import outbound
from ingestion.ingest import ingest, max_body_bytes, to_us
from ingestion.models import ScrapeTarget
from ingestion.parsers import ParseResult, parse_exposition
from ingestion.parsers.result import shorten
from ingestion.samples import Labels, Sample

logger = logging.getLogger(__name__)

ACCEPT = "text/plain;version=0.0.4;q=1,*/*;q=0.1"
SCRAPE_CONCURRENCY = 16
_FILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")

# When each settings target was last scraped by this process (database
# targets keep theirs in the row).
_settings_last_scrape: dict[str, dt.datetime] = {}


class ScrapeError(Exception):
    """The target could not be fetched or read."""


@dataclass
class ScrapeReport:
    """The result of scraping one target."""

    job: str
    url: str
    up: bool
    written: int = 0
    refused: int = 0
    duration_s: float = 0.0
    error: str = ""
    errors: list = field(default_factory=list)


@dataclass
class Target:
    job: str
    url: str
    interval_seconds: int
    labels: dict[str, str]
    row: ScrapeTarget | None = None


@dataclass
class Fetched:
    """A target's page (or why there is none) and how long getting it took."""

    text: str | None
    error: str
    duration_s: float


def scrape_due_targets(now: dt.datetime) -> list[ScrapeReport]:
    """Scrape every enabled target whose interval has passed; return a report each."""
    targets = due_targets(now)
    if not targets:
        return []
    with ThreadPoolExecutor(min(SCRAPE_CONCURRENCY, len(targets)), thread_name_prefix="scrape") as pool:
        pages = list(pool.map(fetch_target, targets))
    return [store_scrape(target, page, now) for target, page in zip(targets, pages, strict=True)]


def due_targets(now: dt.datetime) -> list[Target]:
    targets = [
        Target(row.name, row.url, row.interval_seconds, dict(row.labels or {}), row)
        for row in ScrapeTarget.objects.filter(enabled=True)
        if row.is_due(now)
    ]
    interval = settings.TSMON_SCRAPE_INTERVAL_SECONDS
    for job, url in settings_targets():
        last = _settings_last_scrape.get(url)
        if last is None or (now - last).total_seconds() >= interval:
            targets.append(Target(job, url, interval, {}))
    return targets


def settings_targets() -> list[tuple[str, str]]:
    """(job, url) of each item of TSMON_SCRAPE_TARGETS."""
    configured = settings.TSMON_SCRAPE_TARGETS
    items = configured.split(",") if isinstance(configured, str) else configured
    targets = []
    for item in filter(None, (entry.strip() for entry in items)):
        job, sep, url = item.partition("=")
        targets.append((job.strip(), url.strip()) if sep and "://" not in job else ("scrape", item))
    return targets


def fetch_target(target: Target) -> Fetched:
    """Get one target's page; no database access (runs in a pool thread)."""
    started = time.monotonic()
    try:
        text, error = fetch(target.url, headers=authorization(target)), ""
    except ScrapeError as exc:
        text, error = None, str(exc)
        logger.warning("scrape of %s (%s) failed: %s", target.job, shown_url(target.url), exc)
    return Fetched(text, error, time.monotonic() - started)


def store_scrape(target: Target, page: Fetched, now: dt.datetime) -> ScrapeReport:
    """Parse and store a fetched page with `up` and the scrape's duration; record the outcome."""
    shown = shown_url(target.url)
    report = ScrapeReport(target.job, shown, up=page.text is not None, error=page.error)
    report.duration_s = page.duration_s
    target_labels = _target_labels(target)
    parsed = ParseResult([], [])
    if page.text is not None:
        parsed = parse_exposition(page.text, to_us(now), target_labels)
    samples = [s for s in parsed.samples if not math.isnan(s.value)]
    samples += _health_samples(report, target_labels, to_us(now))
    outcome = ingest(ParseResult(samples, parsed.errors), now)
    report.written = outcome.written
    report.refused = len(outcome.errors)
    report.errors = outcome.errors
    if outcome.errors and not report.error:
        first = outcome.errors[0]
        report.error = shorten(
            f"{len(outcome.errors)} line(s) refused; line {first.line}: {first.reason}", 500
        )
    _record(target, report, now)
    return report


def fetch(url: str, timeout: float | None = None, headers: dict | None = None) -> str:
    """GET an exposition page, bounded in size and time, where `core.outbound` allows.

    Errors never quote the page nor the URL's userinfo: they are stored on
    the target and logged."""
    timeout = timeout or settings.TSMON_SCRAPE_TIMEOUT_SECONDS
    limit = max_body_bytes()
    headers = {"Accept": ACCEPT, "User-Agent": "tsmon-scraper", **(headers or {})}
    request = urllib.request.Request(without_userinfo(url), headers=headers)
    try:
        with outbound.open_url(request, timeout=timeout) as response:
            body = response.read(limit + 1)
            charset = response.headers.get_content_charset() or "utf-8"
    except urllib.error.HTTPError as exc:
        exc.close()
        raise ScrapeError(f"HTTP {exc.code}") from None
    except outbound.OutboundRefused as exc:
        raise ScrapeError(f"not scraped: {exc}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise ScrapeError(str(getattr(exc, "reason", exc))) from None
    except http.client.HTTPException as exc:  # its text may quote the URL
        raise ScrapeError(type(exc).__name__) from None
    if len(body) > limit:
        raise ScrapeError(f"page is over the limit of {limit} bytes")
    try:
        return body.decode(charset)
    except (LookupError, UnicodeDecodeError) as exc:
        raise ScrapeError(f"page is not valid {charset}: {exc}") from None


def authorization(target: Target) -> dict[str, str]:
    """The Authorization header for a target: Basic from the URL's userinfo, or
    Bearer from the job's file in TSMON_SCRAPE_TOKENS_DIR (read at every
    scrape, so a rotated token is used at once); none if neither is given."""
    parts = urlsplit(target.url)
    token = _bearer_token(target.job)
    if parts.username is not None and token is not None:
        raise ScrapeError("the URL has a user name and TSMON_SCRAPE_TOKENS_DIR a token: give one of them")
    if parts.username is not None:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}
    return {"Authorization": f"Bearer {token}"} if token is not None else {}


def _bearer_token(job: str) -> str | None:
    folder = settings.TSMON_SCRAPE_TOKENS_DIR
    # A job name is a file name here, never a path.
    if not folder or not _FILE_NAME.fullmatch(job):
        return None
    try:
        return (Path(folder) / job).read_text().strip() or None
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ScrapeError(f"cannot read the token file of job {job}: {exc.strerror}") from None


def without_userinfo(url: str) -> str:
    """`url` without `user:password@`: the credentials go in a header instead."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def shown_url(url: str) -> str:
    """`url` as logs and reports show it: no userinfo, no query (either may hold a secret)."""
    parts = urlsplit(without_userinfo(url))
    return urlunsplit(parts._replace(query="…" if parts.query else "", fragment=""))


def _target_labels(target: Target) -> Labels:
    parts = urlsplit(target.url)
    instance = parts.netloc.rsplit("@", 1)[-1]
    return tuple(sorted({**target.labels, "job": target.job, "instance": instance}.items()))


def _health_samples(report: ScrapeReport, labels: Labels, ts_us: int) -> list[Sample]:
    return [
        Sample("up", labels, ts_us, 1.0 if report.up else 0.0, 0),
        Sample("scrape_duration_seconds", labels, ts_us, report.duration_s, 0),
    ]


def _record(target: Target, report: ScrapeReport, now: dt.datetime) -> None:
    if target.row is None:
        _settings_last_scrape[target.url] = now
        return
    ScrapeTarget.objects.filter(pk=target.row.pk).update(
        last_scrape_at=now, last_duration_ms=report.duration_s * 1000.0, last_error=report.error
    )
