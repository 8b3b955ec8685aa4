"""The gunicorn worker tsmon is served with (see `tsmon.serve.web_command`).

gunicorn's gthread worker reads a request's headers and body in one of its
threads, blocking: twelve clients trickling their headers took all 2 x 4
threads and /healthz went unanswered (issue 18). This worker is gunicorn's
gevent worker, where each connection is a greenlet, so a slow client costs
only its own greenlet, with:

- a deadline for the request line and headers (TSMON_HEADER_TIMEOUT_SECONDS,
  the wait of a kept-alive connection for its next request included), after
  which the connection is closed;
- the body read whole before Django runs, within TSMON_BODY_TIMEOUT_SECONDS,
  and Django run in `--threads` threads (tsmon.app_threads.AppThreads);
- at most TSMON_WEB_CONNECTIONS connections at a time; more wait in the
  listen queue;
- a request line (method, path and query string) of up to 8190 bytes,
  gunicorn's most (`web_command` sets it; gunicorn's default is 4094), and
  one longer answered with tsmon's JSON error naming the limit (a 414), not
  gunicorn's bare HTML page.

Nothing is monkey-patched: Django, psycopg2 and the rest run in ordinary
threads with the standard library as it is; only the client sockets are
gevent's.
"""

from __future__ import annotations

import json

import gevent
from gevent import socket
from gunicorn.http.errors import LimitRequestLine
from gunicorn.http.message import MAX_REQUEST_LINE
from gunicorn.workers.ggevent import GeventWorker

# The longest request line gunicorn can be set to read: tsmon's web server reads that long.
REQUEST_LINE_LIMIT = MAX_REQUEST_LINE


def request_line_too_long() -> bytes:
    """The answer to a request line over REQUEST_LINE_LIMIT: a 414 in the API's error shape."""
    body = json.dumps(
        {
            "detail": f"the request line (method, path and query string) is over {REQUEST_LINE_LIMIT} "
            "bytes, the most tsmon reads; send fewer or shorter query parameters",
            "limit": f"{REQUEST_LINE_LIMIT} bytes (gunicorn's limit_request_line)",
        }
    ).encode()
    head = (
        "HTTP/1.1 414 URI Too Long\r\nConnection: close\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


class TsmonWorker(GeventWorker):
    header_timeout = 10.0  # until the application's settings are loaded

    def patch(self):
        # GeventWorker.patch() without monkey.patch_all(): only the listening
        # sockets become gevent's (and with them the connections they accept).
        self.sockets = [
            socket.socket(s.FAMILY, socket.SOCK_STREAM, fileno=s.sock.detach()) for s in self.sockets
        ]

    def load_wsgi(self):
        super().load_wsgi()  # imports tsmon.wsgi, which sets Django up
        from django.conf import settings

        from tsmon.app_threads import AppThreads

        self.header_timeout = settings.TSMON_HEADER_TIMEOUT_SECONDS
        self.worker_connections = settings.TSMON_WEB_CONNECTIONS
        self.wsgi = AppThreads(
            self.wsgi,
            lanes=self.cfg.threads,
            # The largest body any endpoint accepts: writes, and forms (the admin).
            body_limit=max(settings.TSMON_MAX_BODY_BYTES, settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0),
            body_timeout=settings.TSMON_BODY_TIMEOUT_SECONDS,
        )

    def handle_error(self, req, client, addr, exc):
        if not isinstance(exc, LimitRequestLine):
            return super().handle_error(req, client, addr, exc)
        self.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], exc)
        try:
            client.sendall(request_line_too_long())
        except OSError:
            self.log.debug("Failed to send error message.")

    def timeout_ctx(self):
        # Wraps the reading of each request's line and headers (gunicorn's
        # keep-alive loop); on expiry the loop ends and the connection closes.
        return gevent.Timeout(self.header_timeout, False)
