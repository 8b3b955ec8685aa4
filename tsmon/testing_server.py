"""A real gunicorn for tests whose behaviour depends on the server.

The Django test client hands the view a ready request; what a client sends
on the wire (chunked bodies, slow headers, a worker's memory) only shows
through the server users run. `live_gunicorn` (in the root conftest) serves
the test database with gunicorn as `make run` does, so a test needs
`transactional_db`: the server's processes see only committed rows.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from urllib.parse import quote, urlencode

from django.conf import settings


def test_database_url() -> str:
    """The URL of the database this test run uses, for processes it starts."""
    database = settings.DATABASES["default"]
    user = quote(database["USER"] or "")
    password = f":{quote(database['PASSWORD'])}" if database["PASSWORD"] else ""
    host, port = database["HOST"] or "", database["PORT"] or ""
    options = dict(database.get("OPTIONS") or {})
    if host.startswith("/"):  # a Unix socket folder, given as libpq's ?host=
        options["host"] = host
        where = ""
    else:
        where = host + (f":{port}" if port else "")
    query = f"?{urlencode(options)}" if options else ""
    return f"postgresql://{user}{password}@{where}/{quote(database['NAME'])}{query}"


@contextlib.contextmanager
def serve_test_database(workers: int = 1, threads: int = 4, **env: str) -> Iterator[str]:
    """Serve the test database with gunicorn; yield its base URL."""
    from bench.harness import gunicorn

    with gunicorn(test_database_url(), workers=workers, threads=threads, **env) as (port, _process):
        yield f"http://127.0.0.1:{port}"
