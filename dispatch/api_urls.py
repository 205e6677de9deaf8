from rest_framework.routers import SimpleRouter

from .api import TicketViewSet, TransferRequestViewSet, WaiverRequestViewSet

router = SimpleRouter()
router.register("tickets", TicketViewSet, basename="ticket")
router.register("transfer-requests", TransferRequestViewSet, basename="transfer-request")
router.register("waiver-requests", WaiverRequestViewSet, basename="waiver-request")
urlpatterns = router.urls
