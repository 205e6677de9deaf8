from rest_framework.routers import SimpleRouter

from .api import ItemViewSet, KitViewSet, ReportViewSet

router = SimpleRouter()
router.register("kit/visits", KitViewSet, basename="kit-visit")
router.register("kit/items", ItemViewSet, basename="kit-item")
router.register("kit/report", ReportViewSet, basename="kit-report")
urlpatterns = router.urls
