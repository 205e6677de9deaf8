from django.urls import path

from .api import AcceptMoveView, DayPlanView, SuggestionsView

urlpatterns = [
    path("tickets/<str:number>/suggestions/", SuggestionsView.as_view(), name="ticket-suggestions"),
    path("planning/day/", DayPlanView.as_view(), name="planning-day"),
    path("planning/moves/", AcceptMoveView.as_view(), name="planning-move-accept"),
]
