"""Reading `/metrics` back in the tests: parsed with prometheus_client's own parser."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient

from ingestion.models import ApiKey
from tsmon.testing import forget_write_caches


def forget_caches() -> None:
    """The writer caches series ids and partitions; a rolled-back test must not reuse them."""
    forget_write_caches()


def reader() -> APIClient:
    _, key = ApiKey.issue("prometheus", ["read"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def families(text: str) -> dict:
    """Metric families by name, as prometheus_client parses the exposition text."""
    return {family.name: family for family in text_string_to_metric_families(text)}


def scrape(client: APIClient | None = None) -> dict[tuple, float]:
    """Every sample of `/metrics`: {(name, (("label", "value"), ...)): value}."""
    response = (client or reader()).get("/metrics")
    assert response.status_code == 200, response.content
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in families(response.content.decode()).values()
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))
