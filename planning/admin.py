"""The centre edits where things are: grids, the minutes between them, engineers' home bases.
Reference data, not workflow state: no visit or ticket changes here (suggestions read it)."""

from django.contrib import admin

from .models import EngineerBase, Grid, GridTravel


class GridTravelInline(admin.TabularInline):
    model = GridTravel
    fk_name = "origin"
    extra = 1
    autocomplete_fields = ["destination"]


@admin.register(Grid)
class GridAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "latitude", "longitude"]
    list_select_related = ["team"]
    search_fields = ["name"]
    inlines = [GridTravelInline]


@admin.register(GridTravel)
class GridTravelAdmin(admin.ModelAdmin):
    list_display = ["origin", "destination", "minutes"]
    list_editable = ["minutes"]
    list_select_related = ["origin", "destination"]
    autocomplete_fields = ["origin", "destination"]


@admin.register(EngineerBase)
class EngineerBaseAdmin(admin.ModelAdmin):
    list_display = ["engineer", "home_grid", "home_latitude", "home_longitude"]
    list_select_related = ["engineer", "home_grid"]
    filter_horizontal = ["grids"]
    autocomplete_fields = ["home_grid"]
