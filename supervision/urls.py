from django.urls import path

from . import approvals, network_tests, outbox_views
from .dashboard import views as dashboard

app_name = "supervision"
urlpatterns = [
    path("supervisor/", dashboard.dashboard, name="supervisor"),
    path(
        "supervisor/tickets/<str:number>/actions/",
        dashboard.row_actions,
        name="dashboard_row_actions",
    ),
    path("supervisor/tickets/<str:number>/contact/", dashboard.contact, name="dashboard_contact"),
    path(
        "supervisor/tickets/<str:number>/reassign/", dashboard.reassign, name="dashboard_reassign"
    ),
    # Issue 15: every decision waiting for a supervisor (R4, R11).
    path("supervisor/approvals/", approvals.approvals, name="approvals"),
    # Issue 18: the after-fix share per team and the hot cells.
    path("supervisor/network-tests/", network_tests.report, name="network_tests"),
    path("alerts/", outbox_views.alerts, name="alerts"),
    path("alerts/read/", outbox_views.alerts_read, name="alerts_read"),
    path("outbox/", outbox_views.outbox, name="outbox"),
    path("outbox/<int:pk>/retry/", outbox_views.outbox_retry, name="outbox_retry"),
]
