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
  listen queue.

Nothing is monkey-patched: Django, psycopg2 and the rest run in ordinary
threads with the standard library as it is; only the client sockets are
gevent's.
"""

from __future__ import annotations

import gevent
from gevent import socket
from gunicorn.workers.ggevent import GeventWorker


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

    def timeout_ctx(self):
        # Wraps the reading of each request's line and headers (gunicorn's
        # keep-alive loop); on expiry the loop ends and the connection closes.
        return gevent.Timeout(self.header_timeout, False)
