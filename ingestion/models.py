"""What ingestion stores: sources, series, points, API keys, scrape targets."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils import timezone

from core.scopes import ApiScope
from ingestion.choices import SeriesKind


class Source(models.Model):
    """A host or agent that sends metrics; series with a `host` label belong to it."""

    name = models.CharField(max_length=253, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Series(models.Model):
    """One metric with one label set: the unit everything is computed on."""

    metric = models.CharField(max_length=200)
    labels = models.JSONField(default=dict)
    # `metric{k="v",...}` with labels sorted: what makes a series unique, and
    # the form people already know from Prometheus.
    key = models.TextField(unique=True)
    source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.SET_NULL, related_name="series"
    )
    unit = models.CharField(max_length=32, blank=True)
    kind = models.CharField(max_length=16, choices=SeriesKind.choices, default=SeriesKind.GAUGE)
    # A capacity limit (e.g. 100 for disk used percent) makes forecasts
    # report when it will be reached.
    capacity = models.FloatField(null=True, blank=True)
    # The API key whose write created the series: TSMON_MAX_SERIES_PER_KEY counts these.
    created_by_key = models.ForeignKey(
        "ApiKey",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="series_created",
        editable=False,
    )
    first_ts = models.DateTimeField(null=True, blank=True)
    # Kept by the writer to within a minute, and by the web workers every few
    # seconds (moving it on every batch cost more than the batch's COPY;
    # ingestion.series_spans); the points table has the exact time.
    last_ts = models.DateTimeField(null=True, blank=True)
    # The latest staleness marker Prometheus sent for the series (it stopped
    # being scraped): the series has ended unless a point came after it.
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "series"
        ordering = ["key"]
        indexes = [
            # Series listing and selectors filter by metric first.
            models.Index(fields=["metric"], name="series_metric_idx"),
            # Label matchers (`labels @> '{"host": "db-1"}'`).
            GinIndex(fields=["labels"], name="series_labels_gin", opclasses=["jsonb_path_ops"]),
        ]

    def __str__(self) -> str:
        return self.key

    @staticmethod
    def make_key(metric: str, labels: dict[str, str] | tuple) -> str:
        """Return the canonical key `metric{a="1",b="2"}` of a label set."""
        pairs = sorted(labels.items()) if isinstance(labels, dict) else labels
        if not pairs:
            return metric
        body = ",".join(f'{k}="{_escape_label_value(v)}"' for k, v in pairs)
        return f"{metric}{{{body}}}"


def _escape_label_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Point(models.Model):
    """One value of one series at one time, as the ORM sees it.

    Points are stored in a landing table and compressed chunks (migration
    ingestion 0006) and written only by `ingestion.writer`. `ingestion_point`
    is a view of every point by the read function's rule: a filter on the
    series reaches both tables, one on time cannot skip chunks (the times
    are computed from them), so tsmon itself reads through
    `tsmon_series_points(ids, start, end)`. The model also carries the write
    permission (`ingestion.add_point`, core.scopes).
    """

    pk = models.CompositePrimaryKey("series_id", "ts")
    series = models.ForeignKey(Series, on_delete=models.DO_NOTHING, db_constraint=False)
    ts = models.DateTimeField()
    value = models.FloatField()

    class Meta:
        managed = False
        db_table = "ingestion_point"


class ApiKey(models.Model):
    """A key for machines: agents write, dashboards read, admins do both.

    Only a SHA-256 of the key is stored; keys are 256-bit random, so a slow
    password hash would add nothing but latency to every request. The
    plaintext is shown once, when the key is issued.
    """

    PREFIX_LENGTH = 8

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=PREFIX_LENGTH, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    scopes = ArrayField(models.CharField(max_length=8, choices=ApiScope.choices))
    # Series written with this key and no `host` label belong to this source.
    source = models.ForeignKey(Source, null=True, blank=True, on_delete=models.SET_NULL)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} (tsm_{self.prefix}…)"

    @classmethod
    def issue(cls, name: str, scopes: list[str], **fields) -> tuple[ApiKey, str]:
        """Create a key; return it with its plaintext, which is not kept."""
        prefix = secrets.token_hex(cls.PREFIX_LENGTH // 2)
        plaintext = f"tsm_{prefix}_{secrets.token_urlsafe(32)}"
        key = cls.objects.create(
            name=name, prefix=prefix, key_hash=_digest(plaintext), scopes=scopes, **fields
        )
        return key, plaintext

    @classmethod
    def find(cls, plaintext: str) -> ApiKey | None:
        """Return the live key matching `plaintext`, or None."""
        parts = plaintext.split("_", 2)
        if len(parts) != 3 or parts[0] != "tsm":
            return None
        key = cls.objects.filter(prefix=parts[1], revoked_at__isnull=True).first()
        if key is None or not hmac.compare_digest(key.key_hash, _digest(plaintext)):
            return None
        return key

    def allows(self, scope: str) -> bool:
        """Admin keys may do everything; others only what they name."""
        return ApiScope.ADMIN in self.scopes or scope in self.scopes

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


def _digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


class ScrapeTarget(models.Model):
    """A Prometheus exposition endpoint tsmon pulls metrics from."""

    name = models.CharField(max_length=100, unique=True)
    url = models.URLField(max_length=500)
    interval_seconds = models.PositiveIntegerField(default=60)
    labels = models.JSONField(default=dict, blank=True)
    enabled = models.BooleanField(default=True)
    last_scrape_at = models.DateTimeField(null=True, blank=True)
    last_duration_ms = models.FloatField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def is_due(self, now) -> bool:
        if not self.enabled:
            return False
        if self.last_scrape_at is None:
            return True
        return (now - self.last_scrape_at).total_seconds() >= self.interval_seconds
