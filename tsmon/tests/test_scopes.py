"""Every API endpoint in the schema, against every kind of caller.

No key: 401. A write key: only the write endpoints. A read key: reads
only. An admin key: everything. (Allowed calls may still be 400 or 404 on
these made-up arguments; what matters is that none is 401 or 403.)
"""

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from ingestion.models import ApiKey

pytestmark = pytest.mark.django_db

WRITE_PATHS = {"/api/v1/write", "/api/v1/write/csv", "/api/v2/write", "/api/v1/prom/write", "/write"}
# Channels hold webhook URLs with tokens and e-mail addresses: admin even to read.
ADMIN_ONLY = {"/api/v1/notification-channels", "/api/v1/notification-channels/{id}"}
DENIED = {401, 403}


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
        _, key = ApiKey.issue("k", scopes)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def allowed(scope, method, path) -> bool:
    if scope == "admin":
        return True
    if scope == "write":
        return path in WRITE_PATHS
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
