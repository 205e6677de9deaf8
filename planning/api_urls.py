from django.urls import path

from .api import SuggestionsView

urlpatterns = [
    path("tickets/<str:number>/suggestions/", SuggestionsView.as_view(), name="ticket-suggestions"),
]
