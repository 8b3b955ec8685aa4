"""Every API endpoint in the schema, against every kind of caller.

No key: 401. A write key: only the write endpoints. A read key: reads
only. An admin key: everything. (Allowed calls may still be 400 or 404 on
these made-up arguments; what matters is that none is 401 or 403.)

People signed in get their scopes from their permissions
(core.scopes): an account reads, `add_point` adds write,
`add_apikey` (here through a group) or a superuser has admin. Staff
without permissions only read. The pages' actions (acknowledge, request a
report) ask for the same scope as their API twins.
"""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from alerts.models import Alert
from alerts.tests.alert_helpers import make_rule, store
from ingestion.models import ApiKey
from reports.models import Report

pytestmark = pytest.mark.django_db

WRITE_PATHS = {"/api/v1/write", "/api/v1/write/csv", "/api/v2/write", "/api/v1/prom/write", "/write"}
# Dashboards are written with the write scope too (and changed by their owner only).
DASHBOARD_PATHS = {"/api/v1/dashboards", "/api/v1/dashboards/{id}"}
# Channels hold webhook URLs with tokens and e-mail addresses: admin even to read.
ADMIN_ONLY = {"/api/v1/notification-channels", "/api/v1/notification-channels/{id}"}
DENIED = {401, 403}
# InfluxDB 1.x clients send keys only; a session means nothing there.
SESSIONLESS = {"/write"}
PERSON_SCOPES = {
    "person": {"read"},
    "staff": {"read"},
    "writer": {"read", "write"},
    "admin group": {"read", "write", "admin"},
    "superuser": {"read", "write", "admin"},
}


def endpoints():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, operations in sorted(schema["paths"].items()):
        for method in operations:
            if method in ("get", "post", "put", "patch", "delete"):
                yield method, path


ENDPOINTS = list(endpoints())


def call(client, method, path):
    url = path.replace("{id}", "999999").replace("{name}", "host")
    return getattr(client, method)(url, {} if method == "get" else None, format="json")


def client_for(scopes):
    client = APIClient()
    if scopes:
        # A key acts for the person who created it (dashboards need an owner).
        person, _ = get_user_model().objects.get_or_create(username="key-maker")
        _, key = ApiKey.issue("k", scopes, created_by=person)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def allowed(scope, method, path) -> bool:
    if scope == "admin":
        return True
    if scope == "write":
        return path in WRITE_PATHS or (path in DASHBOARD_PATHS and method != "get")
    return method == "get" and path not in WRITE_PATHS | ADMIN_ONLY  # read


def test_the_matrix_covers_every_kind_of_endpoint():
    assert len(ENDPOINTS) > 30
    assert {m for m, _ in ENDPOINTS} >= {"get", "post", "patch", "delete"}


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_each_endpoint_answers_each_scope_as_it_should(method, path):
    assert call(client_for(None), method, path).status_code == 401
    for scope in ("write", "read", "admin"):
        status = call(client_for([scope]), method, path).status_code
        if allowed(scope, method, path):
            assert status not in DENIED, (scope, status)
        else:
            assert status == 403, (scope, status)


def permission(codename: str) -> Permission:
    return Permission.objects.get(content_type__app_label="ingestion", codename=codename)


def make_person(kind: str):
    users = get_user_model().objects
    if kind == "superuser":
        return users.create_superuser("root", password=None)
    user = users.create_user(kind.replace(" ", "-"), is_staff=kind != "person")
    if kind == "writer":
        user.user_permissions.add(permission("add_point"))
    elif kind == "admin group":
        group = Group.objects.create(name="tsmon admins")
        group.permissions.add(permission("add_apikey"))
        user.groups.add(group)
    return user


def signed_in(kind: str) -> APIClient:
    client = APIClient()
    client.force_login(make_person(kind))
    return client


@pytest.mark.parametrize("kind", PERSON_SCOPES)
@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_each_endpoint_answers_each_kind_of_person_by_their_permissions(method, path, kind):
    status = call(signed_in(kind), method, path).status_code

    if path in SESSIONLESS:
        assert status == 401
    elif any(allowed(scope, method, path) for scope in PERSON_SCOPES[kind]):
        assert status not in DENIED, (kind, status)
    else:
        assert status == 403, (kind, status)


@pytest.fixture
def open_alert(db):
    series = store([95.0])
    return Alert.objects.create(
        rule=make_rule(), series=series, state="firing", labels={}, started_at=timezone.now(), value=95.0
    )


@pytest.mark.parametrize("kind", PERSON_SCOPES)
def test_the_acknowledge_page_action_asks_for_the_admin_scope_as_the_api_does(kind, open_alert):
    client = signed_in(kind)
    may = "admin" in PERSON_SCOPES[kind]

    listed = client.get(reverse("alert-list")).content.decode()
    page = client.post(reverse("alert-acknowledge", args=[open_alert.pk]))
    api = client.post(f"/api/v1/alerts/{open_alert.pk}/acknowledge")

    assert ("Acknowledge</button>" in listed) is may
    assert (page.status_code, api.status_code) == ((302, 200) if may else (403, 403))
    open_alert.refresh_from_db()
    assert (open_alert.acknowledged_at is not None) is may


@pytest.mark.parametrize("kind", PERSON_SCOPES)
def test_the_report_request_form_asks_for_the_admin_scope_as_the_api_does(kind):
    client = signed_in(kind)
    may = "admin" in PERSON_SCOPES[kind]

    listed = client.get(reverse("reports:list")).content.decode()
    page = client.post(reverse("reports:request"), {"kind": "anomaly"})
    api = client.post("/api/v1/reports", {"kind": "anomaly"}, format="json")

    assert ('action="/reports/request"' in listed) is may
    assert (page.status_code, api.status_code) == ((302, 202) if may else (403, 403))
    assert Report.objects.count() == (2 if may else 0)
