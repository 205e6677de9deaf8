from django.urls import path

from . import views

app_name = "planning"
urlpatterns = [
    path("suggest/<str:number>/", views.suggestions, name="suggestions"),
    path("optimize/", views.optimize, name="optimize"),
    path("optimize/accept/", views.accept_move, name="accept_move"),
]
