"""Statement timeouts by kind of work: API reads, pages, writes and jobs.

Every SQL statement of a request or a job is bounded, so that no single
one can hold a database core for long (a costly regex, a huge range). Each
kind of work has its own limit in seconds, `TSMON_STATEMENT_TIMEOUT_<KIND>_SECONDS`
(0: none), set on the connection before a request's first statement
(`tsmon.middleware.StatementTimeoutMiddleware`, so a request that needs no
database opens no connection for it) or when a periodic job starts
(`with_statement_timeout`). A session-level `SET`, not `SET LOCAL`:
requests run in autocommit, and a streamed answer keeps fetching after the
view has returned. A statement the limit cancels becomes a 503 naming the
limit (`timeout_response`), never a 500.

Management commands, the shell and notebooks keep the server's default
(none): they are an operator's deliberate work.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import psycopg2.errors
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpResponse, JsonResponse
from rest_framework.views import APIView

API = "api"  # reads of the REST API (and /metrics)
PAGES = "pages"  # server-rendered pages, the admin, /healthz
WRITES = "writes"  # API calls that change something: writes of points, configuration
JOBS = "jobs"  # the periodic jobs, in-process or on Celery workers

SETTINGS = {
    API: "TSMON_STATEMENT_TIMEOUT_API_SECONDS",
    PAGES: "TSMON_STATEMENT_TIMEOUT_PAGES_SECONDS",
    WRITES: "TSMON_STATEMENT_TIMEOUT_WRITES_SECONDS",
    JOBS: "TSMON_STATEMENT_TIMEOUT_JOBS_SECONDS",
}
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def limit_seconds(kind: str) -> int:
    """The statement timeout of a kind of work, in seconds (0: none)."""
    return getattr(settings, SETTINGS[kind])


def set_statement_timeout(kind: str, database=connection) -> None:
    """Bound every later statement of this thread's connection by `kind`'s limit.

    A connection remembers the limit it was given, so that requests of one
    kind in a row (the usual case) pay for one `SET` per connection, not
    one per request; a new connection (after a restart, say) gets it anew.
    Inside a transaction it is set but not remembered: a rollback undoes it.
    The `SET` goes through psycopg2's own cursor: it is no query of the
    request's (nor counted as one), and passes no execute wrapper.
    """
    value = f"{limit_seconds(kind)}s"
    database.ensure_connection()
    given = getattr(database, "tsmon_statement_timeout", None)
    if given is not None and given[0] is database.connection and given[1] == value:
        return
    # Django's errors, as for any statement: a view's `except DatabaseError` holds.
    with database.wrap_database_errors, database.connection.cursor() as cursor:
        cursor.execute("SELECT set_config('statement_timeout', %s, false)", [value])
    database.tsmon_statement_timeout = None if database.in_atomic_block else (database.connection, value)


def forget_statement_timeout() -> None:
    """Have the next `set_statement_timeout` set the limit again (for tests
    that roll back or reset the connection's settings)."""
    connection.tsmon_statement_timeout = None


class BoundStatements:
    """An execute wrapper: before each statement of a request, the limit of
    the request's kind (once known, from `request.statement_timeout_kind`).

    Only outside transactions, where the `SET` lasts: a request's first
    statement is its key or session lookup, in autocommit, and what follows
    inside a transaction then runs under the limit already set (a statement
    in a transaction that failed could not even take a `SET`).
    """

    def __init__(self, request):
        self.request = request

    def __call__(self, execute, sql, params, many, context):
        kind = getattr(self.request, "statement_timeout_kind", None)
        database = context["connection"]
        if kind is not None and not database.in_atomic_block:
            set_statement_timeout(kind, database)
        return execute(sql, params, many, context)


def request_kind(request, view_func: Callable) -> str:
    """API read, write or page: DRF views are the API, unsafe methods there are writes."""
    view_class = getattr(view_func, "cls", None)
    if not (isinstance(view_class, type) and issubclass(view_class, APIView)):
        return PAGES
    return API if request.method in SAFE_METHODS else WRITES


def is_statement_timeout(exc: BaseException) -> bool:
    """Was `exc` (Django's or psycopg2's) a statement cancelled by statement_timeout?"""
    cause = exc.__cause__ if isinstance(exc, DatabaseError) else exc
    return isinstance(cause, psycopg2.errors.QueryCanceled) and "statement timeout" in str(cause)


ADVICE = {
    WRITES: "send smaller batches",
    JOBS: "raise the limit or shard the job",
}
READ_ADVICE = "ask for less: fewer series, a shorter range or a longer step"


def timeout_message(kind: str) -> str:
    return (
        f"the database took longer than the limit of {limit_seconds(kind)} s for one statement "
        f"({SETTINGS[kind]}); {ADVICE.get(kind, READ_ADVICE)}"
    )


def timeout_response(kind: str) -> HttpResponse:
    """503 naming the limit: JSON for the API, text for pages."""
    if kind == PAGES:
        return HttpResponse(timeout_message(kind), status=503, content_type="text/plain; charset=utf-8")
    return JsonResponse({"detail": timeout_message(kind), "limit": SETTINGS[kind]}, status=503)


def with_statement_timeout(kind: str, run: Callable) -> Callable:
    """Wrap a job function so that its statements are bounded by `kind`'s limit."""

    @functools.wraps(run)
    def bounded(*args, **kwargs):
        set_statement_timeout(kind)
        return run(*args, **kwargs)

    bounded.statement_timeout_kind = kind
    return bounded
