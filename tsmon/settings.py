"""Django settings for tsmon, read from environment variables only.

Every variable is listed in `.env.example` and in the README's configuration
table. A malformed value stops start-up with a message naming it.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from tsmon import embedded_db
from tsmon.env import (
    ConfigError,
    env_bool,
    env_int,
    env_list,
    env_networks,
    env_secret,
    env_str,
    parse_database_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = embedded_db.data_dir()


def _local_secret_key() -> str:
    """A per-checkout key kept in the git-ignored data folder, so a local
    `make run` needs no configuration and sessions survive restarts."""
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def _database() -> dict:
    url = env_str("DATABASE_URL")
    if url is None:
        # No server configured: run on the embedded PostgreSQL under DATA_DIR.
        url = embedded_db.ensure_running()
    database = parse_database_url(url)
    database["CONN_MAX_AGE"] = env_int("TSMON_DB_CONN_MAX_AGE", 60, minimum=0)
    database["CONN_HEALTH_CHECKS"] = True
    return database


try:
    DEBUG = env_bool("DEBUG", False)
    # Served over HTTPS (directly or behind a TLS proxy): secure cookies, HSTS,
    # redirect of plain HTTP. Off by default so `make run` works on loopback.
    TSMON_HTTPS = env_bool("TSMON_HTTPS", False)
    TSMON_HSTS_SECONDS = env_int("TSMON_HSTS_SECONDS", 31_536_000 if TSMON_HTTPS else 0, minimum=0)
    TSMON_HSTS_PRELOAD = env_bool("TSMON_HSTS_PRELOAD", TSMON_HTTPS)
    # Trust X-Forwarded-Proto from the proxy in front (only behind one you run).
    TSMON_TRUST_X_FORWARDED_PROTO = env_bool("TSMON_TRUST_X_FORWARDED_PROTO", False)
    SECRET_KEY = env_secret("SECRET_KEY") or _local_secret_key()
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
    CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
    DATABASES = {"default": _database()}
    TIME_ZONE = env_str("TSMON_TIME_ZONE", "UTC")
    LOG_LEVEL = env_str("TSMON_LOG_LEVEL", "INFO").upper()
    TSMON_RETENTION_DAYS = env_int("TSMON_RETENTION_DAYS", 30, minimum=1)
    TSMON_PARTITIONS_AHEAD_DAYS = env_int("TSMON_PARTITIONS_AHEAD_DAYS", 3, minimum=1)
    # How often landing rows are compacted into chunks: reads scan the landing
    # table whole, so it is kept to a few seconds of writes.
    TSMON_COMPACT_SECONDS = env_int("TSMON_COMPACT_SECONDS", 10, minimum=1)
    TSMON_MAX_SERIES_PER_SOURCE = env_int("TSMON_MAX_SERIES_PER_SOURCE", 10_000, minimum=1)
    TSMON_MAX_SERIES_PER_KEY = env_int("TSMON_MAX_SERIES_PER_KEY", 100_000, minimum=1)
    TSMON_MAX_SERIES = env_int("TSMON_MAX_SERIES", 1_000_000, minimum=1)
    TSMON_DEMO_SEED = env_int("TSMON_DEMO_SEED", 42)
    TSMON_JOB_SHARDS = env_int("TSMON_JOB_SHARDS", 8, minimum=1)
    # Write limits: bad or oversized input gets a 4xx naming the limit.
    TSMON_MAX_BODY_BYTES = env_int("TSMON_MAX_BODY_BYTES", 32 * 1024 * 1024, minimum=1024)
    TSMON_MAX_POINTS_PER_REQUEST = env_int("TSMON_MAX_POINTS_PER_REQUEST", 100_000, minimum=1)
    TSMON_MAX_LABELS = env_int("TSMON_MAX_LABELS", 30, minimum=1)
    TSMON_MAX_LABEL_VALUE_LENGTH = env_int("TSMON_MAX_LABEL_VALUE_LENGTH", 1024, minimum=1)
    # Seconds a web worker collects series' last-point times before writing them (ingestion.series_spans).
    TSMON_SERIES_SPAN_FLUSH_SECONDS = env_int("TSMON_SERIES_SPAN_FLUSH_SECONDS", 5, minimum=0)
    # Seconds a process trusts an API key it found without reading it again (revocation's delay).
    TSMON_API_KEY_CACHE_SECONDS = env_int("TSMON_API_KEY_CACHE_SECONDS", 5, minimum=0)
    # Requests per key (or user, or address) and period: "6000/min", "100/s".
    TSMON_THROTTLE_WRITE = env_str("TSMON_THROTTLE_WRITE", "6000/min")
    TSMON_THROTTLE_READ = env_str("TSMON_THROTTLE_READ", "1200/min")
    # Read limits: points one query answer may hold (series x buckets); more is a 400 naming it.
    TSMON_MAX_QUERY_POINTS = env_int("TSMON_MAX_QUERY_POINTS", 500_000, minimum=1000)
    # Seconds one SQL statement may run, per kind of work (0: no limit); past it, a 503 naming
    # the limit (core.statement_timeouts).
    TSMON_STATEMENT_TIMEOUT_API_SECONDS = env_int("TSMON_STATEMENT_TIMEOUT_API_SECONDS", 30, minimum=0)
    TSMON_STATEMENT_TIMEOUT_PAGES_SECONDS = env_int("TSMON_STATEMENT_TIMEOUT_PAGES_SECONDS", 30, minimum=0)
    TSMON_STATEMENT_TIMEOUT_WRITES_SECONDS = env_int("TSMON_STATEMENT_TIMEOUT_WRITES_SECONDS", 60, minimum=0)
    TSMON_STATEMENT_TIMEOUT_JOBS_SECONDS = env_int("TSMON_STATEMENT_TIMEOUT_JOBS_SECONDS", 300, minimum=0)
    # Prometheus targets pulled by the scheduler: "job=http://host:9100/metrics,...".
    TSMON_SCRAPE_TARGETS = env_list("TSMON_SCRAPE_TARGETS", [])
    TSMON_SCRAPE_INTERVAL_SECONDS = env_int("TSMON_SCRAPE_INTERVAL_SECONDS", 60, minimum=1)
    TSMON_SCRAPE_TIMEOUT_SECONDS = env_int("TSMON_SCRAPE_TIMEOUT_SECONDS", 10, minimum=1)
    # Bearer tokens for scrape targets: the file named after the target's job holds its token.
    TSMON_SCRAPE_TOKENS_DIR = env_str("TSMON_SCRAPE_TOKENS_DIR")
    # Non-public networks webhooks and scrapes may reach (core.outbound): "127.0.0.1/32,10.0.0.0/8".
    TSMON_OUTBOUND_ALLOWED_NETWORKS = env_networks("TSMON_OUTBOUND_ALLOWED_NETWORKS", [])
    # The agent `make run` (manage.py run_agent) runs for this host.
    TSMON_AGENT_URL = env_str("TSMON_AGENT_URL", "http://127.0.0.1:8000")
    TSMON_AGENT_TOKEN = env_secret("TSMON_AGENT_TOKEN")
    TSMON_AGENT_INTERVAL = env_int("TSMON_AGENT_INTERVAL", 10, minimum=1)
    TSMON_AGENT_SPOOL_DIR = Path(env_str("TSMON_AGENT_SPOOL_DIR", str(DATA_DIR / "agent-spool")))
    # Browser clients on other origins may call the API (off: no origin allowed).
    CORS_ALLOWED_ORIGINS = env_list("TSMON_CORS_ALLOWED_ORIGINS", [])
    TSMON_PUBLIC_URL = env_str("TSMON_PUBLIC_URL", "http://localhost:8000").rstrip("/")
    # Firing alerts are pushed to Alertmanager channels this often, with endsAt four times as far
    # ahead (as Prometheus does): shorter than Alertmanager's resolve_timeout (5 min by default).
    TSMON_ALERTMANAGER_RESEND_SECONDS = env_int("TSMON_ALERTMANAGER_RESEND_SECONDS", 60, minimum=1)
    EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
    EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD") or ""
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
    DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "tsmon@localhost")
    # Celery is used only when a broker is configured; otherwise jobs run in-process.
    CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
    CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND")
    CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "tsmon")
    # Seconds before Redis hands a task that no worker acknowledged to another
    # worker: how long the task of a worker that died whole waits to run again.
    # Longer than the longest task, or a slow task also runs a second time.
    TSMON_CELERY_VISIBILITY_TIMEOUT = env_int("TSMON_CELERY_VISIBILITY_TIMEOUT", 3600, minimum=1)
    # /metrics without a key (for a scraper on a trusted network); else a read key or a session.
    TSMON_METRICS_PUBLIC = env_bool("TSMON_METRICS_PUBLIC", False)
    # The web server (tsmon.web_worker): seconds a client may take to send a
    # request's headers (a kept-alive connection's wait for its next request
    # included) and its body, and connections one worker process holds at once.
    TSMON_HEADER_TIMEOUT_SECONDS = env_int("TSMON_HEADER_TIMEOUT_SECONDS", 10, minimum=1)
    TSMON_BODY_TIMEOUT_SECONDS = env_int("TSMON_BODY_TIMEOUT_SECONDS", 60, minimum=1)
    TSMON_WEB_CONNECTIONS = env_int("TSMON_WEB_CONNECTIONS", 1000, minimum=1)
    # Reports requested through the API or pages that may be pending or running at once.
    TSMON_MAX_QUEUED_REPORTS = env_int("TSMON_MAX_QUEUED_REPORTS", 20, minimum=1)
    TSMON_MAX_QUEUED_REPORTS_PER_REQUESTER = env_int("TSMON_MAX_QUEUED_REPORTS_PER_REQUESTER", 3, minimum=1)
except ConfigError as exc:
    raise ImproperlyConfigured(f"tsmon configuration: {exc}") from None

if LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
    raise ImproperlyConfigured(
        f"tsmon configuration: TSMON_LOG_LEVEL={LOG_LEVEL!r}: expected DEBUG, INFO, WARNING or ERROR"
    )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core",
    "ingestion",
    "analytics",
    "alerts",
    "reports",
    "web",
    "demo",
    "monitoring",
]

MIDDLEWARE = [
    "tsmon.middleware.RequestTimingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "tsmon.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "core.query_params.NulParameterMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "tsmon.middleware.StatementTimeoutMiddleware",
    "tsmon.middleware.PersonTimeZoneMiddleware",
]

ROOT_URLCONF = "tsmon.urls"
WSGI_APPLICATION = "tsmon.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
USE_I18N = True
USE_TZ = True

SECURE_SSL_REDIRECT = TSMON_HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
SESSION_COOKIE_SECURE = TSMON_HTTPS
CSRF_COOKIE_SECURE = TSMON_HTTPS
SECURE_HSTS_SECONDS = TSMON_HSTS_SECONDS
SECURE_HSTS_INCLUDE_SUBDOMAINS = TSMON_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = TSMON_HSTS_PRELOAD and TSMON_HSTS_SECONDS > 0
if TSMON_TRUST_X_FORWARDED_PROTO:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every start without it
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve static files straight from the apps while debugging or testing, so
# collectstatic is only needed for a production deployment.
WHITENOISE_USE_FINDERS = DEBUG or "pytest" in sys.modules

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "ingestion.auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["ingestion.auth.HasScope"],
    "DEFAULT_THROTTLE_CLASSES": ["ingestion.auth.KeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "write": TSMON_THROTTLE_WRITE,
        "read": TSMON_THROTTLE_READ,
        "admin": TSMON_THROTTLE_WRITE,
    },
    "DEFAULT_PAGINATION_CLASS": "core.pagination.CappedLimitOffsetPagination",
    "PAGE_SIZE": 100,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "tsmon API",
    "DESCRIPTION": "Time-series ingestion, analytics and anomaly detection.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI's files come from the drf-spectacular-sidecar package, not a
    # CDN: servers often have no internet, and the CSP allows only 'self'.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Request bodies are documented as JSON: the form encodings DRF also parses
    # (for the browsable API's HTML forms) cannot carry null, an object or a
    # list, so the schema would promise bodies they cannot hold.
    "PARSER_WHITELIST": ["rest_framework.parsers.JSONParser"],
    # Request bodies get components of their own: without the read-only
    # fields, with the write-only ones, and non-blank strings with minLength 1.
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "ingestion.schema.no_nul_in_reads",
    ],
    # Several models have a `kind` field with different choices; name each enum.
    "ENUM_NAME_OVERRIDES": {
        "SeriesKindEnum": "ingestion.choices.SeriesKind",
        "DetectorKindEnum": "analytics.choices.DetectorKind",
        "AnomalyKindEnum": "analytics.choices.AnomalyKind",
    },
}

CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_HEADERS = ["authorization", "content-type", "content-encoding", "accept"]

# A task is acknowledged only when it has finished, and a worker that dies
# mid-task hands it back to the broker: detection runs are transactional and
# idempotent, so running one again is always safe.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": TSMON_CELERY_VISIBILITY_TIMEOUT}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own request log would repeat what tsmon.requests says.
        "django.server": {"level": "WARNING"},
        "pgserver": {"level": "WARNING"},
    },
}
