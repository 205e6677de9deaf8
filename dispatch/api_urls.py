from rest_framework.routers import SimpleRouter

from .api import TicketViewSet

router = SimpleRouter()
router.register("tickets", TicketViewSet, basename="ticket")
urlpatterns = router.urls
