from django.urls import path

from . import views

app_name = "planning"
urlpatterns = [
    path("suggest/<str:number>/", views.suggestions, name="suggestions"),
]
