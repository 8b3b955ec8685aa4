"""Pages that refresh themselves: a small JSON endpoint polled by `live.js`.

The page carries a *stamp* (a text that changes whenever the data behind it
changes) and polls `...live.json?stamp=<stamp>`. While nothing changed the
answer is only the stamp; otherwise it also carries the page's fragments
re-rendered by the same templates as the page, which the script swaps in.
The stamp is read before the data, so a change in between is shown at the
next poll rather than missed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import JsonResponse
from django.template.loader import render_to_string

# Seconds between two polls of a page; short enough to feel live, long
# enough that an open tab costs the database almost nothing.
REFRESH_SECONDS = 15


def json_login_required(view):
    """Like `login_required`, but answer 401 JSON: a script cannot follow a login redirect."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return JsonResponse({"detail": "log in again"}, status=401)
        return view(request, *args, **kwargs)

    return wrapped


def live_response(
    request, stamp: str, fragments: dict[str, str], context: Callable[[], dict]
) -> JsonResponse:
    """The poll's answer: the stamp, plus fragments (name -> template) when it changed."""
    if request.GET.get("stamp") == stamp:
        return JsonResponse({"stamp": stamp})
    values = context()
    html = {name: render_to_string(template, values, request) for name, template in fragments.items()}
    return JsonResponse({"stamp": stamp, "fragments": html})


def live_context(url: str, stamp: str) -> dict:
    return {"live_url": url, "live_stamp": stamp, "live_refresh_seconds": REFRESH_SECONDS}
