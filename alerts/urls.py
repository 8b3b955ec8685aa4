"""Alerts API routes, included under /api/v1/."""

from rest_framework.routers import SimpleRouter

from alerts import api as alerts_api

router = SimpleRouter(trailing_slash=False)
router.register("alert-rules", alerts_api.AlertRuleViewSet, basename="alert-rule")
router.register(
    "notification-channels", alerts_api.NotificationChannelViewSet, basename="notification-channel"
)
router.register("silences", alerts_api.SilenceViewSet, basename="silence")
router.register("alerts", alerts_api.AlertViewSet, basename="alert")
router.register("deliveries", alerts_api.DeliveryViewSet, basename="delivery")

urlpatterns = router.urls
