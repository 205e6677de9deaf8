from django.urls import path

from .dashboard.api import DashboardView

urlpatterns = [
    path("dashboard/", DashboardView.as_view(), name="api-dashboard"),
]
