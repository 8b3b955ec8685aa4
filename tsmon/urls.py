"""URL routes: the admin, health check, metrics, API and its documentation."""

from django.contrib import admin
from django.http import JsonResponse
from django.templatetags.static import static
from django.urls import include, path
from django.views.defaults import page_not_found
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

from monitoring.views import MetricsView
from tsmon.health import healthz

PUBLIC = {"authentication_classes": [], "permission_classes": [AllowAny]}

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # Browsers ask for /favicon.ico whatever the page says; the icon is an SVG.
    path("favicon.ico", RedirectView.as_view(url=static("tsmon/favicon.svg"), permanent=True)),
    path("metrics", MetricsView.as_view(), name="metrics"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("ingestion.urls")),
    path("api/v1/", include("ingestion.query_urls")),
    path("api/v1/", include("analytics.urls")),
    path("api/v1/", include("alerts.urls")),
    path("api/v1/", include("reports.urls")),
    path("api/v1/", include("web.urls")),
    path("reports/", include("web.report_urls")),
    # Public on purpose: the schema is the API's shape, as in the source code and
    # README, with no data, host or key in it, and the same for every caller
    # (no authentication is even tried); every operation it lists still needs
    # its scope. Client generators and Schemathesis read it without a key.
    path("api/schema/", SpectacularAPIView.as_view(**PUBLIC), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema", **PUBLIC), name="api-docs"),
    path("", include("web.page_urls")),
]


def not_found(request, exception):
    """A path under /api/ that matches no route gets JSON, as DRF's own 404s
    do (an id that is not a number, say); people get the HTML page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)


handler404 = not_found
