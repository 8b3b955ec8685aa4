"""Analytics API routes, included under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from analytics import api, rolling_api

router = SimpleRouter(trailing_slash=False)
router.register("detectors", api.DetectorViewSet, basename="detector")
router.register("anomalies", api.AnomalyViewSet, basename="anomaly")
router.register("anomaly-events", api.AnomalyEventViewSet, basename="anomaly-event")
router.register("false-positives", api.FalsePositiveViewSet, basename="false-positive")
router.register("job-runs", api.JobRunViewSet, basename="job-run")

urlpatterns = [
    path("series/<int:pk>/forecast", api.ForecastView.as_view(), name="series-forecast"),
    path("series/<int:pk>/rolling", rolling_api.RollingView.as_view(), name="series-rolling"),
    *router.urls,
]
