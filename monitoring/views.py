"""`/metrics`: tsmon's own health in the Prometheus exposition format.

A private read, like the API: a key with the read scope (Prometheus sends
`Authorization: Bearer <key>` from its `authorization` setting) or a
logged-in session. TSMON_METRICS_PUBLIC=true opens it to anyone, for a
scraper on a trusted network that cannot send a key. Not part of the API
schema: it answers Prometheus, not API clients.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector
from rest_framework import permissions
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from core import instruments
from core.scopes import ApiScope
from monitoring.collector import DatabaseCollector


def multiprocess_dir() -> str | None:
    """The folder the processes share their counters in, when there is one."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def scrape_registry() -> CollectorRegistry:
    """A registry for one scrape: every process's counters, and the database's figures."""
    # Without auto_describe: registering a collector would run its queries once more.
    registry = CollectorRegistry()
    shared = multiprocess_dir()
    if shared:
        MultiProcessCollector(registry, path=shared)
    else:
        registry.register(_ThisProcess())
    registry.register(DatabaseCollector())
    return registry


class _ThisProcess:
    """The counters of this process, when it is the only one counting."""

    def collect(self):
        return instruments.PROCESS_REGISTRY.collect()


class _AnyAccept(BaseContentNegotiation):
    """The exposition format is chosen from Accept below; errors are JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class MetricsView(APIView):
    required_scope = ApiScope.READ
    renderer_classes = [JSONRenderer]
    content_negotiation_class = _AnyAccept

    def get_authenticators(self):
        # Public: a scraper's stale key must not turn an open page into a 401.
        return [] if settings.TSMON_METRICS_PUBLIC else super().get_authenticators()

    def get_permissions(self):
        if settings.TSMON_METRICS_PUBLIC:
            return [permissions.AllowAny()]
        return super().get_permissions()

    @extend_schema(exclude=True)
    def get(self, request):
        encode, content_type = choose_encoder(request.META.get("HTTP_ACCEPT", ""))
        response = HttpResponse(encode(scrape_registry()), content_type=content_type)
        response["Cache-Control"] = "no-store"
        return response
