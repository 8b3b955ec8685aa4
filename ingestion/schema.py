"""OpenAPI description of tsmon's API-key authentication (drf-spectacular)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerFieldExtension


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "ingestion.auth.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key (`manage.py create_api_key`): `Authorization: Bearer tsm_…`. "
            "InfluxDB clients may send `Authorization: Token tsm_…` instead.",
        }


class BoundedFloatFieldExtension(OpenApiSerializerFieldExtension):
    """A BoundedFloatField's bounds, with `exclusiveMinimum` for `above_min`."""

    target_class = "ingestion.query_serializers.BoundedFloatField"

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        schema = {"type": "number", "format": "double", "minimum": field.minimum, "maximum": field.maximum}
        return {**schema, "exclusiveMinimum": True} if field.above_min else schema


# A read refuses a NUL in its path or any query parameter (query_params.NulParameterMiddleware).
NO_NUL_PATTERN = "^[^\\x00]*$"


def no_nul_in_reads(result, generator, request, public):
    """A postprocessing hook: every free string parameter of a GET, and every free
    string field of a request body (DRF's CharField refuses a NUL), says it holds
    no NUL. (Patterns, enums and formats of their own already leave it out.)"""
    for operations in result.get("paths", {}).values():
        for parameter in operations.get("get", {}).get("parameters", []):
            _no_nul(parameter.get("schema", {}))
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request"):
            for field in component.get("properties", {}).values():
                _no_nul(field)
    return result


def _no_nul(schema: dict) -> None:
    schema = schema.get("items", {}) if schema.get("type") == "array" else schema
    if schema.get("type") == "string" and not {"pattern", "enum", "format"} & set(schema):
        schema["pattern"] = NO_NUL_PATTERN


class InfluxV1KeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "ingestion.influx_v1.BasicOrQueryKeyAuthentication"
    name = "influxBasic"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "basic",
            "description": "InfluxDB 1.x clients: the API key as the password (any user name), "
            "or as the `p` query parameter.",
        }
