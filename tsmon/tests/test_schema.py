"""The OpenAPI schema validates and documents every API route."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema


def api_routes(patterns=None, prefix=""):
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from api_routes(entry.url_patterns, route)
        elif (
            isinstance(entry, URLPattern) and route.startswith("api/") and not route.startswith("api/schema")
        ):
            if not route.startswith("api/docs"):
                yield "/" + _openapi_path(route)


def _openapi_path(route: str) -> str:
    """`api/v1/^series/(?P<pk>[^/.]+)$` or `.../<int:pk>` -> `api/v1/series/{pk}`."""
    route = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", route)
    route = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
    return route.replace("^", "").replace("$", "")


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_the_schema_is_valid_openapi(schema):
    validate_schema(schema)


def test_every_api_route_is_in_the_schema(schema):
    documented = set(schema["paths"])
    missing = [
        route
        for route in api_routes()
        if route.replace("{pk}", "{id}") not in documented and route not in documented
    ]

    assert missing == []
    assert "/api/v1/points" in documented
