"""What the query tests share: reading answers that may be streamed."""

from __future__ import annotations

import json


def body(response) -> bytes:
    """The whole body of a response, streamed or not."""
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def answer(response):
    """The JSON of a response, streamed (points, rolling) or not."""
    return json.loads(body(response))
