"""Dashboards API routes, included under /api/v1/."""

from rest_framework.routers import SimpleRouter

from web import api

router = SimpleRouter(trailing_slash=False)
router.register("dashboards", api.DashboardViewSet, basename="api-dashboard")

urlpatterns = router.urls
