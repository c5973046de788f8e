from rest_framework.routers import SimpleRouter

from transactions.api.views import TransactionViewSet

router = SimpleRouter(trailing_slash=True)
router.register("transactions", TransactionViewSet, basename="transaction")

urlpatterns = router.urls
