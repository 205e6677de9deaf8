from django.urls import path

from . import views

app_name = "dispatch"
urlpatterns = [
    path("", views.home, name="home"),
    path("tickets/", views.ticket_list, name="ticket_list"),
    path("tickets/new/", views.ticket_create, name="ticket_create"),
    path("tickets/caller/", views.caller, name="caller"),
    path("tickets/<str:number>/", views.ticket_detail, name="ticket_detail"),
    path("tickets/<str:number>/details/", views.ticket_update, name="ticket_update"),
    path("tickets/<str:number>/transfer/", views.ticket_transfer, name="ticket_transfer"),
    path(
        "tickets/<str:number>/transfer/request/",
        views.ticket_transfer_request,
        name="ticket_transfer_request",
    ),
    path("transfer-requests/<int:pk>/decide/", views.transfer_decide, name="transfer_decide"),
    path(
        "tickets/<str:number>/close/waiver-request/",
        views.ticket_waiver_request,
        name="ticket_waiver_request",
    ),
    path("waiver-requests/<int:pk>/decide/", views.waiver_decide, name="waiver_decide"),
    path("tickets/<str:number>/contact/", views.ticket_contact, name="ticket_contact"),
    path("tickets/<str:number>/repeat-call/", views.repeat_call, name="repeat_call"),
    path("tickets/<str:number>/close/", views.ticket_close, name="ticket_close"),
    path("language/check/", views.language_check, name="language_check"),
]
