"""Request bodies sent with `Transfer-Encoding: chunked`, made whole for Django.

Django reads at most CONTENT_LENGTH bytes of a request body and takes a
missing length for an empty body. A chunked request has no length (Go's
HTTP client streams gzip that way, so Telegraf does; so does curl with
`-H 'Transfer-Encoding: chunked'`), so without this layer a write endpoint
would parse nothing and answer 204 for points it never stored.

`ChunkedBodies` wraps the WSGI application. Where the server has already
decoded the chunks and ends the input stream at the body's end (it says so
with `wsgi.input_terminated`, as gunicorn does), the body is read up to one
byte past the largest body any endpoint accepts and handed on with its
length, so every view reads it as it reads any other body and applies its
own limit in its own error shape (413 for a write). A server that cannot
promise that (the development server) gets 411: better refused than lost.
"""

from __future__ import annotations

import io
import json

from django.conf import settings


class ChunkedBodies:
    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        if not _is_chunked(environ):
            return self.application(environ, start_response)
        if not environ.get("wsgi.input_terminated"):
            return _length_required(start_response)
        # One byte over the limit is enough for the view to see it is over.
        body = environ["wsgi.input"].read(largest_body_bytes() + 1)
        environ = {**environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}
        return self.application(environ, start_response)


def largest_body_bytes() -> int:
    return max(settings.TSMON_MAX_BODY_BYTES, settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0)


def _is_chunked(environ) -> bool:
    codings = environ.get("HTTP_TRANSFER_ENCODING", "")
    return "chunked" in (coding.strip().lower() for coding in codings.split(","))


def _length_required(start_response):
    body = json.dumps(
        {"detail": "this server cannot read Transfer-Encoding: chunked bodies; send a Content-Length"}
    ).encode()
    start_response(
        "411 Length Required",
        [("Content-Type", "application/json"), ("Content-Length", str(len(body))), ("Connection", "close")],
    )
    return [body]
