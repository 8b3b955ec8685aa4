"""Alert rule pages: the list, and a form to create or edit a rule with a
replay of when it would have fired over the last 14 days.

The form posts with one of two buttons: "Preview" replays the rule as typed
(nothing saved), "Save" stores it. Both need the admin scope, as
POST /api/v1/alert-rules does; the list needs a login.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from alerts import rule_preview
from alerts.choices import OPEN_STATES
from alerts.models import AlertRule
from core.scopes import ApiScope, person_has_scope, scope_required
from web.preview_strips import firing_strips
from web.rule_forms import AlertRuleForm


@login_required
def rule_list(request):
    rules = AlertRule.objects.annotate(
        n_open=Count("alerts", filter=Q(alerts__state__in=OPEN_STATES))
    ).order_by("name")
    context = {"rules": list(rules), "may_edit": person_has_scope(request.user, ApiScope.ADMIN)}
    return render(request, "analytics/rule_list.html", context)


@scope_required(ApiScope.ADMIN)
def rule_new(request):
    return _edit(request, AlertRule())


@scope_required(ApiScope.ADMIN)
def rule_edit(request, pk: int):
    return _edit(request, get_object_or_404(AlertRule, pk=pk))


def _edit(request, rule: AlertRule):
    """GET: the form (and a replay of a saved rule); POST: preview or save."""
    title = rule.name  # before the form writes what was typed into the instance
    form = AlertRuleForm(request.POST or None, instance=rule)
    preview = None
    if request.method == "POST" and form.is_valid():
        if request.POST.get("action") == "save":
            saved = form.save()
            messages.success(request, f"Saved the rule {saved.name}.")
            return redirect("rule-edit", pk=saved.pk)
        preview = rule_preview.preview_rule(form.save(commit=False), timezone.now())
    elif request.method == "GET" and rule.pk:
        preview = rule_preview.preview_rule(rule, timezone.now())
    context = {
        "form": form,
        "rule": rule,
        "title": title,
        "preview": preview,
        "strips": firing_strips(preview) if preview else [],
    }
    return render(request, "analytics/rule_form.html", context)
