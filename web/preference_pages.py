"""The preferences page: which time zone the pages are drawn in.

Choosing one stores it in this browser (a cookie, as the browser's own zone
is); "the browser's" takes the choice back. Any signed-in person may set
their own; the POST carries the CSRF token as every form does.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from core import time_zones


@login_required
def preferences(request):
    if request.method == "POST":
        return _choose(request, request.POST.get("time_zone", ""))
    context = {
        "zone": request.person_zone,
        "zones": sorted(time_zones.known_zones()),
        "browser_zone": time_zones.valid_zone(request.COOKIES.get(time_zones.BROWSER_COOKIE)),
        "site_zone": settings.TIME_ZONE,
    }
    return render(request, "pages/preferences.html", context)


def _choose(request, text: str):
    response = redirect("preferences")
    if not text.strip():
        response.delete_cookie(time_zones.CHOICE_COOKIE, samesite="Lax")
        messages.success(request, "Times now follow your browser's time zone.")
        return response
    zone = time_zones.valid_zone(text)
    if zone is None:
        messages.error(
            request, f"{text[:60]!r} is not a time zone; pick one from the list (e.g. Europe/Berlin)."
        )
        return response
    response.set_cookie(
        time_zones.CHOICE_COOKIE,
        zone,
        max_age=time_zones.CHOICE_MAX_AGE,
        samesite="Lax",
        httponly=True,
        secure=settings.SESSION_COOKIE_SECURE,
    )
    messages.success(request, f"Times are now shown in {zone}.")
    return response
