"""The survey's questions (R25), edited by a supervisor."""

from django.db import transaction
from django.utils.translation import gettext as _

from dispatch.errors import PermissionDenied, RuleViolation
from dispatch.roles import Role, has_role

from ..models import Question, QuestionKind

QUESTION_FIELDS = (
    "code",
    "kind",
    "text",
    "text_en",
    "importance",
    "position",
    "required",
    "active",
)


@transaction.atomic
def save_question(*, actor, question: Question | None = None, **fields) -> Question:
    """A supervisor adds or edits a survey item. Signed surveys keep the wording they were signed
    with; an item already answered keeps its code and kind, so the analysis stays comparable."""
    if not has_role(actor, Role.SUPERVISOR):
        raise PermissionDenied(_("Only a supervisor edits the survey questions."))
    unknown = set(fields) - set(QUESTION_FIELDS)
    if unknown:
        raise RuleViolation("invalid_field", f"Unknown fields: {', '.join(sorted(unknown))}")
    importance = fields.get("importance", question.importance if question else 3)
    if not isinstance(importance, int) or not 1 <= importance <= 5:
        raise RuleViolation(
            "invalid_importance", _("Importance is from 1 to 5."), field="importance"
        )
    if question is None:
        question = Question()
    elif question.answers.exists():
        for name in ("code", "kind"):
            if name in fields and fields[name] != getattr(question, name):
                raise RuleViolation(
                    "question_answered",
                    _("Customers have answered this item: its code and kind can't change."),
                    field=name,
                    status=409,
                )
    if "kind" in fields and fields["kind"] not in QuestionKind.values:
        raise RuleViolation("invalid_kind", _("Choose a kind of answer."), field="kind")
    code = fields.get("code", question.code)
    if Question.objects.filter(code=code).exclude(pk=question.pk).exists():
        raise RuleViolation(
            "duplicate_code", _("Another item already uses this code."), field="code"
        )
    for name, value in fields.items():
        setattr(question, name, value)
    question.save()
    return question
