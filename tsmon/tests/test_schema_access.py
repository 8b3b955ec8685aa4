"""The OpenAPI schema and its documentation page are public, and the same for every caller."""

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from ingestion.models import ApiKey

pytestmark = pytest.mark.django_db


def test_the_schema_and_docs_answer_without_a_key_and_show_nobody_more():
    anonymous, admin, signed_in = APIClient(), APIClient(), APIClient()
    admin.credentials(HTTP_AUTHORIZATION=f"Bearer {ApiKey.issue('admin', ['admin'])[1]}")
    signed_in.force_login(User.objects.create_superuser("root", password="x"))

    schemas = [client.get("/api/schema/", {"format": "json"}) for client in (anonymous, admin, signed_in)]

    assert [r.status_code for r in schemas] == [200, 200, 200]
    assert schemas[0].content == schemas[1].content == schemas[2].content
    assert anonymous.get("/api/docs/").status_code == 200


def test_a_bad_key_does_not_hide_the_schema():
    client = APIClient(HTTP_AUTHORIZATION="Bearer tsm_not_a_key")

    assert client.get("/api/schema/").status_code == 200
