from rest_framework.routers import SimpleRouter

from .api import TicketViewSet, TransferRequestViewSet

router = SimpleRouter()
router.register("tickets", TicketViewSet, basename="ticket")
router.register("transfer-requests", TransferRequestViewSet, basename="transfer-request")
urlpatterns = router.urls
