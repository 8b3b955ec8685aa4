"""Alert rules from the pages: list, create, edit, preview, and what is refused."""

import datetime as dt

import numpy as np
import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from alerts.choices import RuleKind
from alerts.models import AlertRule
from core.durations import format_seconds
from ingestion.writer import write_samples
from tsmon.testing import make_samples

pytestmark = pytest.mark.django_db

FORM = {
    "name": "HighCPU",
    "kind": "threshold",
    "selector": 'cpu_usage_percent{host="web-1"}',
    "operator": ">",
    "threshold": "90",
    "min_score": "0.8",
    "min_fraction": "0.5",
    "window_seconds": "5m",
    "for_seconds": "0",
    "keep_firing_for_seconds": "0",
    "horizon_seconds": "1d",
    "repeat_interval_seconds": "4h",
    "severity": "critical",
    "summary": "CPU at {{ value }}",
    "enabled": "on",
}


@pytest.fixture
def editor(django_user_model):
    fay = django_user_model.objects.create_user("fay", password="x")
    fay.user_permissions.add(Permission.objects.get(codename="add_apikey"))
    return fay


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def spike():
    """Three hours of web-1 CPU at 20 % with ten minutes at 97 %, ending an hour ago."""
    values = np.full(180, 20.0)
    values[100:110] = 97
    start = timezone.now() - dt.timedelta(hours=4)
    write_samples(make_samples("cpu_usage_percent", {"host": "web-1"}, start, 180, values=values))
    return start + dt.timedelta(minutes=100)


def test_preview_replays_the_typed_rule_without_saving_it(editor_client, spike):
    response = editor_client.post(reverse("rule-new"), {**FORM, "action": "preview"})

    assert response.status_code == 200 and not AlertRule.objects.exists()
    preview = response.context["preview"]
    assert len(preview.firings) == 1
    assert spike <= preview.firings[0].fired_at <= spike + dt.timedelta(minutes=1)
    page = response.content.decode()
    assert "would have fired <strong>1</strong> time" in page and 'class="firing"' in page


def test_save_creates_the_rule_and_the_edit_page_shows_it_with_its_replay(editor_client, spike):
    response = editor_client.post(reverse("rule-new"), {**FORM, "action": "save"}, follow=True)

    rule = AlertRule.objects.get()
    assert (rule.kind, rule.selector, rule.threshold, rule.window_seconds) == (
        RuleKind.THRESHOLD,
        'cpu_usage_percent{host="web-1"}',
        90,
        300,
    )
    assert (rule.repeat_interval_seconds, rule.severity, rule.summary) == (
        14400,
        "critical",
        "CPU at {{ value }}",
    )
    assert response.redirect_chain[-1][0] == reverse("rule-edit", args=[rule.pk])
    assert "Saved the rule HighCPU" in response.content.decode()
    assert response.context["form"]["window_seconds"].value() == "5m"
    assert 'value="5m"' in response.content.decode()
    assert len(response.context["preview"].firings) == 1


def test_editing_changes_the_rule_and_a_higher_threshold_fires_never(editor_client, spike):
    rule = AlertRule.objects.create(
        name="HighCPU", kind=RuleKind.THRESHOLD, selector="cpu_usage_percent", threshold=90
    )

    preview = editor_client.post(
        reverse("rule-edit", args=[rule.pk]), {**FORM, "threshold": "99", "action": "preview"}
    ).context["preview"]
    rule.refresh_from_db()
    assert preview.firings == [] and rule.threshold == 90  # a preview saves nothing

    editor_client.post(
        reverse("rule-edit", args=[rule.pk]),
        {**FORM, "threshold": "99", "for_seconds": "2m", "action": "save"},
    )
    rule.refresh_from_db()
    assert (rule.threshold, rule.for_seconds) == (99, 120)
    listed = editor_client.get(reverse("rule-list"))
    assert listed.context["rules"] == [rule] and "edit" in listed.content.decode()


@pytest.mark.parametrize(
    "change, field, says",
    [
        ({"selector": "cpu{host="}, "selector", "expected"),
        ({"threshold": ""}, "threshold", "needs a threshold"),
        ({"window_seconds": "soon"}, "window_seconds", "is not a duration"),
        ({"window_seconds": "0"}, "window_seconds", "is not a duration"),
        ({"summary": "{% if %}"}, "summary", "template error"),
        ({"min_score": "1.5"}, "min_score", "1"),
        ({"name": ""}, "name", "required"),
    ],
)
def test_bad_rules_are_refused_naming_the_field(editor_client, change, field, says):
    response = editor_client.post(reverse("rule-new"), {**FORM, **change, "action": "save"})

    assert response.status_code == 200 and not AlertRule.objects.exists()
    errors = response.context["form"].errors
    assert field in errors and says in " ".join(errors[field]), errors
    assert response.context["preview"] is None


def test_a_second_rule_of_the_same_name_is_refused(editor_client):
    AlertRule.objects.create(name="HighCPU", kind=RuleKind.THRESHOLD, selector="cpu", threshold=1)
    response = editor_client.post(reverse("rule-new"), {**FORM, "action": "save"})
    assert "name" in response.context["form"].errors and AlertRule.objects.count() == 1


def test_rule_pages_need_the_admin_scope_and_the_csrf_token(editor, client, django_user_model):
    rule = AlertRule.objects.create(name="HighCPU", kind=RuleKind.THRESHOLD, selector="cpu", threshold=1)
    client.force_login(django_user_model.objects.create_user("rita", password="x"))

    assert client.get(reverse("rule-list")).status_code == 200
    assert "New rule" not in client.get(reverse("rule-list")).content.decode()
    for url in (reverse("rule-new"), reverse("rule-edit", args=[rule.pk])):
        assert client.get(url).status_code == 403
        assert client.post(url, {**FORM, "action": "save"}).status_code == 403
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(editor)
    assert strict.post(reverse("rule-new"), {**FORM, "name": "Other", "action": "save"}).status_code == 403
    assert Client().get(reverse("rule-list")).url.startswith("/accounts/login/")
    assert AlertRule.objects.count() == 1


def test_durations_are_shown_in_their_largest_whole_unit():
    assert [format_seconds(s) for s in (0, 45, 300, 5400, 7200, 86400, 90061)] == [
        "0", "45s", "5m", "90m", "2h", "1d", "90061s",
    ]  # fmt: skip
