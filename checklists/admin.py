"""Admin: read only. Supervisors change items on the kit items page, through the services that
keep their history; ticks belong to the engineer's phone."""

from django.contrib import admin

from dispatch.admin import ReadOnlyAdmin

from .models import ChecklistItem, ChecklistItemChange, KitRun, KitRunItem


@admin.register(ChecklistItem)
class ChecklistItemAdmin(ReadOnlyAdmin):
    list_display = ["label_zh", "label_en", "group", "position", "required", "active"]
    list_filter = ["group", "active", "required"]


@admin.register(ChecklistItemChange)
class ChecklistItemChangeAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "item", "kind", "actor"]
    list_select_related = ["item", "actor"]


class KitRunItemInline(admin.TabularInline):
    model = KitRunItem
    fields = ["label_zh", "required", "ticked_at", "used_substitute"]
    readonly_fields = fields
    can_delete = False
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(KitRun)
class KitRunAdmin(ReadOnlyAdmin):
    list_display = ["visit", "created_at", "completed_at"]
    list_select_related = ["visit"]
    inlines = [KitRunItemInline]
