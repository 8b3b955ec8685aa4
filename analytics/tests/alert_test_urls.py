"""The project's routes plus the alerts API, until tsmon/urls.py includes it."""

from django.urls import include, path

from tsmon.urls import urlpatterns as project_urlpatterns

urlpatterns = [*project_urlpatterns, path("api/v1/", include("analytics.alerts_urls"))]
