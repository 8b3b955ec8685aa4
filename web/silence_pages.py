"""Pages that silence: an alert from the alerts page, a series from its own
silence page, and the list of silences with an "expire now" button.

Making or ending a silence needs the admin scope, as POST /api/v1/silences
does; seeing them needs a login.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from alerts import silencing
from alerts.models import Alert, Silence
from core.scopes import SCOPE_PERMISSIONS, ApiScope, person_has_scope, scope_required
from ingestion.models import Series

RECENTLY_ENDED = 20


def _back(request, default: str):
    """Redirect to the form's `next` if it stays on this site, else to `default`."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = default
    return redirect(target)


def _make(request, matchers: str, what: str) -> None:
    """Create the silence the POST asks for; say what happened in a message."""
    try:
        wanted = silencing.read_request(matchers, request.POST.get("duration"), request.POST.get("reason"))
    except silencing.SilenceError as exc:
        messages.error(request, f"Not silenced: {exc}")
        return
    silence, n_muted = silencing.create_silence(wanted, request.user.get_username(), timezone.now())
    messages.success(
        request,
        f"Silenced {what} until {timezone.localtime(silence.ends_at):%Y-%m-%d %H:%M %Z}"
        f" ({n_muted} open alert{'s' if n_muted != 1 else ''} muted).",
    )


@scope_required(ApiScope.ADMIN)  # as POST /api/v1/silences
@require_POST
def silence_alert(request, pk: int):
    alert = get_object_or_404(Alert.objects.select_related("rule", "series"), pk=pk)
    _make(request, silencing.alert_matchers(alert), f"{alert.rule.name} on {alert.series.key}")
    return _back(request, "alert-list")


@login_required
def silence_series(request, pk: int):
    """GET: the series' silences in force and the form; POST: make one (then
    back to the form's `next`, the series page when it came from there)."""
    series = get_object_or_404(Series, pk=pk)
    if request.method == "POST":
        if not person_has_scope(request.user, ApiScope.ADMIN):
            return HttpResponseForbidden(
                f"This needs the admin scope: the permission {SCOPE_PERMISSIONS[ApiScope.ADMIN]}."
            )
        _make(request, silencing.series_matchers(series), series.key)
        return _back(request, reverse("series-silence", args=[series.pk]))
    context = {"series": series, **series_silence_context(request, series, timezone.now())}
    return render(request, "analytics/silence_series.html", context)


def series_silence_context(request, series: Series, now) -> dict:
    """What a page needs to show a series' silences in force and its silence form."""
    labels = [{**series.labels, "__name__": series.metric}]
    labels += list(Alert.objects.open().filter(series=series).values_list("labels", flat=True))
    return {
        "silences": silencing.active_for(labels, now),
        "may_silence": person_has_scope(request.user, ApiScope.ADMIN),
        "durations": silencing.DURATION_CHOICES,
    }


@login_required
def silence_list(request):
    now = timezone.now()
    context = {
        "active": list(Silence.objects.filter(starts_at__lte=now, ends_at__gt=now).order_by("ends_at")),
        "ended": list(Silence.objects.filter(ends_at__lte=now).order_by("-ends_at")[:RECENTLY_ENDED]),
        "may_expire": person_has_scope(request.user, ApiScope.ADMIN),
    }
    return render(request, "analytics/silence_list.html", context)


@scope_required(ApiScope.ADMIN)  # as DELETE /api/v1/silences/{id}
@require_POST
def expire_silence(request, pk: int):
    silence = get_object_or_404(Silence, pk=pk)
    silencing.expire_silence(silence, timezone.now())
    messages.success(request, f"Expired the silence of {silence.matchers}.")
    return _back(request, "silence-list")
