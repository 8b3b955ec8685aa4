"""Reports API routes, included under /api/v1/."""

from rest_framework.routers import SimpleRouter

from reports import api

# `/api/v1/reports` as the other collections are, and `/api/v1/reports/` as people type it.
router = SimpleRouter(trailing_slash="/?")
router.register("reports", api.ReportViewSet, basename="report")

urlpatterns = router.urls
