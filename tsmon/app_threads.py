"""Run Django in a few threads behind greenlets that do the waiting on clients.

The web worker (`tsmon.web_worker`) gives each connection a greenlet, which
costs little, so a slow client holds only its own. `AppThreads` wraps the
WSGI application there: the greenlet reads the whole request body first
(up to one byte past the largest body an endpoint accepts, within
TSMON_BODY_TIMEOUT_SECONDS), and only then takes a *lane*, one of a fixed
number of threads, to run Django. So:

- no client that is still sending holds a thread or a database connection;
- PostgreSQL sees at most (workers x lanes) connections from the web, each
  thread keeping its own as Django does (TSMON_DB_CONN_MAX_AGE holds);
- database calls block their thread only, so psycopg2 needs no green mode
  (which would refuse COPY, the write path).

An answer is joined in the lane and written by the greenlet after the lane
is free, so a client reading slowly holds no thread either. A streaming
answer keeps its lane until it ends: its generator may hold a cursor of
that thread's connection.
"""

from __future__ import annotations

import json
import tempfile

import gevent
from gevent.queue import Queue
from gevent.threadpool import ThreadPool
from gunicorn.http.errors import NoMoreData

READ_BYTES = 65_536
IN_MEMORY_BYTES = 1_048_576  # larger bodies wait in a temporary file


class BodyTimeout(Exception):
    pass


class AppThreads:
    """WSGI middleware: read the body in the greenlet, run the application in a lane."""

    def __init__(self, application, lanes: int, body_limit: int, body_timeout: float):
        self.application = application
        self.body_limit = body_limit
        self.body_timeout = body_timeout
        self.lanes: Queue = Queue()
        for _ in range(lanes):
            # One thread each, so that a streaming answer's chunks are all
            # pulled in the thread (and on the connection) that began it.
            self.lanes.put(ThreadPool(1))

    def __call__(self, environ, start_response):
        try:
            environ["wsgi.input"] = read_body(environ, self.body_limit + 1, self.body_timeout)
        except BodyTimeout:
            return request_timeout(start_response, self.body_timeout)
        lane = self.lanes.get()
        try:
            result = lane.apply(self.application, (environ, start_response))
            if getattr(result, "streaming", False):
                stream, lane = LaneStream(result, lane, self.lanes), None  # it gives the lane back
                return stream
            return lane.apply(join_answer, (result, environ))
        finally:
            if lane is not None:
                self.lanes.put(lane)


class LaneStream:
    """A streaming answer, pulled chunk by chunk in its lane, which goes back at close()."""

    def __init__(self, result, lane: ThreadPool, lanes: Queue):
        self.result, self.lane, self.lanes = result, lane, lanes
        self.chunks = iter(result)

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        chunk = self.lane.apply(next, (self.chunks, None))
        if chunk is None:
            raise StopIteration
        return chunk

    def close(self) -> None:
        if self.lane is None:
            return
        try:
            self.lane.apply(self.result.close)
        finally:
            self.lanes.put(self.lane)
            self.lane = None


def join_answer(result, environ) -> list[bytes]:
    """The whole answer, and the application's close() (Django's request_finished) done.

    A file (whitenoise's static files) is handed on as it is: gunicorn
    sends it from the greenlet, and it needs no database.
    """
    if isinstance(result, environ.get("wsgi.file_wrapper") or ()):
        return result
    try:
        return [b"".join(result)]
    finally:
        if hasattr(result, "close"):
            result.close()


def read_body(environ, max_bytes: int, timeout: float):
    """The first `max_bytes` of the body, off the client within `timeout` seconds, as a file.

    gunicorn has already undone `Transfer-Encoding: chunked` and ends the
    stream at the body's end, so this reads either kind; the length and
    the rest of the environ stay as the client sent them.
    """
    if not _has_body(environ):
        return environ["wsgi.input"]
    body = tempfile.SpooledTemporaryFile(IN_MEMORY_BYTES)
    try:
        with gevent.Timeout(timeout, BodyTimeout):
            _copy(environ["wsgi.input"], body, max_bytes)
        if body.tell() < min(_declared_length(environ), max_bytes):
            # The client hung up before its Content-Length: never run a view
            # on part of a body. gunicorn closes the connection quietly.
            raise NoMoreData(b"")
    except BaseException:
        body.close()
        raise
    body.seek(0)
    return body


def _copy(stream, body, max_bytes: int) -> None:
    left = max_bytes
    while left > 0 and (piece := stream.read(min(READ_BYTES, left))):
        body.write(piece)
        left -= len(piece)


def _declared_length(environ) -> int:
    try:
        return int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _has_body(environ) -> bool:
    return environ.get("CONTENT_LENGTH", "") not in ("", "0") or "HTTP_TRANSFER_ENCODING" in environ


def request_timeout(start_response, seconds: float) -> list[bytes]:
    """408. gunicorn keeps the connection for its next request, so whatever
    the client still sends is read off within the header deadline."""
    message = f"the request body did not arrive within {seconds:g} s (TSMON_BODY_TIMEOUT_SECONDS)"
    body = json.dumps({"detail": message}).encode()
    start_response(
        "408 Request Timeout", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]
