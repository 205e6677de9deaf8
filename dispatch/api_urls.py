from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import TicketViewSet
from .dashboard.api import DashboardView

router = SimpleRouter()
router.register("tickets", TicketViewSet, basename="ticket")
urlpatterns = [
    path("dashboard/", DashboardView.as_view(), name="api-dashboard"),
    *router.urls,
]
