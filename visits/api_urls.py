from rest_framework.routers import SimpleRouter

from .api import RescheduleRequestViewSet, VisitViewSet

router = SimpleRouter()
router.register("visits", VisitViewSet, basename="visit")
router.register("reschedule-requests", RescheduleRequestViewSet, basename="reschedule-request")
urlpatterns = router.urls
