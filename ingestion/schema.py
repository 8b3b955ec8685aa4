"""OpenAPI description of tsmon's API-key authentication (drf-spectacular)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


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
