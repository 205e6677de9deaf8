"""Admin: questions are edited by supervisors; signed surveys, links and handovers are read-only
(R23: no edit path for a signed record, and no way to see a link's token)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from dispatch.admin import ReadOnlyAdmin
from dispatch.roles import Role, has_role

from . import services
from .models import Answer, CardHandover, Question, SurveyLink, SurveyResponse
from .services.questions import QUESTION_FIELDS


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    """Saves go through surveys.services.save_question, which decides who may edit and what:
    a supervisor, and an answered item keeps its code and kind (R25), so those two are shown
    read-only here once customers have answered the item."""

    list_display = ["position", "code", "text", "kind", "importance", "required", "active"]
    list_display_links = ["code"]
    list_editable = ["importance", "active"]
    ordering = ["position"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.answers.exists():
            return ["code", "kind"]
        return []

    def _may_edit(self, request) -> bool:
        return has_role(request.user, Role.SUPERVISOR)

    def has_add_permission(self, request):
        return self._may_edit(request) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return self._may_edit(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # Answered items stay (PROTECT); an item leaves the survey by being made inactive.
        return False

    def save_model(self, request, obj, form, change):
        original = Question.objects.get(pk=obj.pk) if change else None
        fields = {name: getattr(obj, name) for name in QUESTION_FIELDS}
        saved = services.save_question(actor=request.user, question=original, **fields)
        obj.pk = saved.pk
        obj.refresh_from_db()


class AnswerInline(admin.TabularInline):
    model = Answer
    fields = ["code", "text", "importance", "score", "yes", "comment"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SurveyResponse)
class SurveyResponseAdmin(ReadOnlyAdmin):
    list_display = ["signed_at", "visit", "channel", "verified_by_code", "intact"]
    list_filter = ["channel", "verified_by_code"]
    list_select_related = ["visit"]
    exclude = ["signature_png"]
    inlines = [AnswerInline]

    @admin.display(boolean=True, description=_("matches digest"))
    def intact(self, obj):
        return obj.verify()


@admin.register(SurveyLink)
class SurveyLinkAdmin(ReadOnlyAdmin):
    list_display = ["issued_at", "visit", "channel", "expires_at", "used_at", "revoked_at"]
    list_filter = ["channel"]
    exclude = ["token_hash", "secret_nonce", "code_hash", "binding_hash"]


@admin.register(CardHandover)
class CardHandoverAdmin(ReadOnlyAdmin):
    list_display = ["handed_at", "visit", "item", "handed_by"]
