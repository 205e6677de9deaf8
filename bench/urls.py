"""The app's URLs plus a constant DRF view behind the same authentication, permission and
throttle as the lists: the yardstick of the API throughput scenario (bench/throughput.py)."""

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import urlpatterns as app_urlpatterns
from dispatch.permissions import DESK, HasRole


class Constant(APIView):
    throttle_scope = "tickets"
    permission_classes = [HasRole]
    allowed_roles = DESK

    def get(self, request):
        return Response({"results": [], "next": None, "previous": None})


urlpatterns = [path("bench/constant/", Constant.as_view()), *app_urlpatterns]
