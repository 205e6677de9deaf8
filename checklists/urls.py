from django.urls import path

from . import views

app_name = "checklists"
urlpatterns = [
    path("", views.my_kits, name="my_kits"),
    path("visit/<int:pk>/", views.visit_kit, name="visit_kit"),
    path("visit/<int:pk>/tick/", views.visit_kit_tick, name="visit_kit_tick"),
    path("items/", views.items, name="items"),
    path("items/add/", views.item_add, name="item_add"),
    path("items/<int:pk>/", views.item_edit, name="item_edit"),
    path("items/<int:pk>/move/", views.item_move, name="item_move"),
    path("items/<int:pk>/active/", views.item_active, name="item_active"),
    path("report/", views.report, name="report"),
]
