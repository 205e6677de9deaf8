"""Admin: read-mostly. State changes belong to services, so workflow fields are read-only here
and the audit trail can't be edited at all."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from . import services
from .errors import RuleViolation
from .models import (
    BannedPhrase,
    CustomerContact,
    Deadline,
    EngineerBase,
    Event,
    Grid,
    GridTravel,
    Notification,
    StaffProfile,
    Ticket,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ["number", "customer_name", "kind", "status", "owner", "created_at"]
    list_filter = ["status", "kind", "complexity"]
    search_fields = ["number", "customer_name", "address"]
    list_select_related = ["owner"]


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "ticket", "visit", "kind", "actor"]
    list_filter = ["kind"]
    list_select_related = ["ticket", "actor"]


@admin.register(Deadline)
class DeadlineAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "kind", "due_at", "state", "responsible"]
    list_filter = ["state", "kind"]
    list_select_related = ["ticket", "responsible"]


@admin.register(CustomerContact)
class CustomerContactAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "channel", "created_at", "actor"]
    list_select_related = ["ticket", "actor"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """The outbox. Read-only: a failed message is sent again through the service."""

    list_display = [
        "created_at",
        "template",
        "channel",
        "recipient",
        "to_phone",
        "urgent",
        "state",
        "attempts",
        "sent_at",
    ]
    list_filter = ["state", "channel", "urgent", "template"]
    search_fields = ["key", "to_phone", "body", "ticket__number"]
    list_select_related = ["recipient"]
    actions = ["send_again"]

    @admin.action(description=_("Send the selected failed messages again"))
    def send_again(self, request, queryset):
        done = 0
        for notification in queryset:
            try:
                services.retry_notification(actor=request.user, notification=notification)
                done += 1
            except RuleViolation as exc:
                self.message_user(request, f"{notification.pk}: {exc.message}", messages.WARNING)
        self.message_user(request, _("%(n)d message(s) queued again.") % {"n": done})


@admin.register(BannedPhrase)
class BannedPhraseAdmin(admin.ModelAdmin):
    """R27: the centre edits the list of banned phrases here."""

    list_display = ["phrase", "suggestion", "source", "active"]
    list_editable = ["active"]
    list_filter = ["active"]
    search_fields = ["phrase", "source", "suggestion"]


# The centre's map: grids, the minutes between them, engineers' home bases. Reference data, not
# workflow state, so editable here: no visit or ticket changes (planning's suggestions read it).


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


class StaffProfileInline(admin.StackedInline):
    """The mobile number the group robot @-mentions a member of staff by (dispatch.robots)."""

    model = StaffProfile
    can_delete = False
    fields = ["mobile"]


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    inlines = [*UserAdmin.inlines, StaffProfileInline]
