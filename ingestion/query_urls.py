"""Query API routes under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from ingestion import query_api

router = SimpleRouter(trailing_slash=False)
router.register("series", query_api.SeriesViewSet, basename="series")

urlpatterns = [
    path("labels", query_api.LabelNamesView.as_view(), name="label-names"),
    path("labels/<str:name>/values", query_api.LabelValuesView.as_view(), name="label-values"),
    path("points", query_api.PointsView.as_view(), name="points"),
    *router.urls,
]
