"""Reports API routes, included under /api/v1/."""

from rest_framework.routers import SimpleRouter

from reports import api

router = SimpleRouter(trailing_slash=False)
router.register("reports", api.ReportViewSet, basename="report")

urlpatterns = router.urls
