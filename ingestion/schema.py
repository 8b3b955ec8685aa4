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
