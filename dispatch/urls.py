from django.urls import path

from . import outbox_views, views
from .dashboard import views as dashboard

app_name = "dispatch"
urlpatterns = [
    path("", views.home, name="home"),
    path("tickets/", views.ticket_list, name="ticket_list"),
    path("tickets/new/", views.ticket_create, name="ticket_create"),
    path("tickets/<str:number>/", views.ticket_detail, name="ticket_detail"),
    path("tickets/<str:number>/transfer/", views.ticket_transfer, name="ticket_transfer"),
    path("tickets/<str:number>/contact/", views.ticket_contact, name="ticket_contact"),
    path("tickets/<str:number>/close/", views.ticket_close, name="ticket_close"),
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
    path("alerts/", outbox_views.alerts, name="alerts"),
    path("alerts/read/", outbox_views.alerts_read, name="alerts_read"),
    path("outbox/", outbox_views.outbox, name="outbox"),
    path("outbox/<int:pk>/retry/", outbox_views.outbox_retry, name="outbox_retry"),
    path("language/check/", outbox_views.language_check, name="language_check"),
]
