from rest_framework.routers import SimpleRouter

from transactions.webhooks.api import WebhookEndpointViewSet

router = SimpleRouter(trailing_slash=True)
router.register("endpoints", WebhookEndpointViewSet, basename="webhook-endpoint")

urlpatterns = router.urls
