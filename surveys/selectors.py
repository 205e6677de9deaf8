"""Read queries of the survey pages and API, scoped by user, with their prefetching
(docs/design.md#reads)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db.models import Avg, Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from dispatch.periods import Period
from dispatch.roles import Role, has_role, is_staff_member
from visits.models import Visit
from visits.selectors import visits_for

from . import rules
from .models import (
    Answer,
    CardHandover,
    CardItem,
    Question,
    QuestionKind,
    SurveyLink,
    SurveyResponse,
)

User = get_user_model()


def live_links() -> Prefetch:
    return Prefetch(
        "survey_links",
        queryset=SurveyLink.objects.filter(used_at__isnull=True, revoked_at__isnull=True),
        to_attr="open_links",
    )


def handoff_visit(user, pk: int) -> Visit:
    """The visit of the engineer's hand-off page, with its survey state."""
    return (
        visits_for(user)
        .select_related(
            "ticket", "engineer", "survey_response", "card_handover", "card_handover__handed_by"
        )
        .prefetch_related(live_links())
        .get(pk=pk)
    )


def survey_visits(user, *, days: int = 30) -> QuerySet[Visit]:
    """Visits whose work has ended in the last `days` days, newest first, with their survey
    state: the engineer's list of surveys to collect, the desk's list of links to resend."""
    since = timezone.now() - timedelta(days=days)
    return (
        visits_for(user)
        .filter(status__in=rules.WORK_ENDED_STATUSES, work_ended_at__gte=since)
        .select_related("ticket", "engineer", "survey_response", "card_handover")
        .prefetch_related(live_links())
        .order_by("-work_ended_at", "-id")
    )


def survey_signed(visit: Visit) -> bool:
    """R22: the customer signed the survey and work order of this visit."""
    return SurveyResponse.objects.filter(visit=visit).exists()


def card_handed(visit: Visit) -> bool:
    """R24: the commitment card (or the handbook) was handed over at this visit."""
    return CardHandover.objects.filter(visit=visit).exists()


def handbook_handed(visit: Visit) -> bool:
    """R18: what was handed over is the FAQ handbook in place of the card."""
    return CardHandover.objects.filter(visit=visit, item=CardItem.FAQ).exists()


def questions(active_only: bool = True) -> QuerySet[Question]:
    qs = Question.objects.all()
    return qs.filter(active=True) if active_only else qs


def responses_for(user) -> QuerySet[SurveyResponse]:
    qs = SurveyResponse.objects.select_related("visit__ticket", "visit__engineer", "link")
    if is_staff_member(user):
        return qs
    if has_role(user, Role.ENGINEER):
        return qs.filter(visit__engineer=user)
    return qs.none()


def response_detail(user, pk: int) -> SurveyResponse:
    return (
        responses_for(user)
        .select_related("session_user", "link__issued_by")
        .prefetch_related("answers")
        .get(pk=pk)
    )


# --- analysis (R25) -------------------------------------------------------------------------


@dataclass
class EngineerRow:
    engineer: object
    surveys: int = 0
    averages: dict[str, float | None] = field(default_factory=dict)
    index: float | None = None
    resolved_yes: int = 0
    resolved_answers: int = 0

    @property
    def resolved_rate(self) -> float | None:
        if not self.resolved_answers:
            return None
        return 100 * self.resolved_yes / self.resolved_answers


def _answers_in(period: Period, engineer=None) -> QuerySet[Answer]:
    start, end = period.bounds
    qs = Answer.objects.filter(response__signed_at__gte=start, response__signed_at__lt=end)
    if engineer is not None:
        qs = qs.filter(response__visit__engineer=engineer)
    return qs


def weighted_index(averages: dict[str, float | None], weights: dict[str, float]) -> float | None:
    """R25: satisfaction weighted by importance, on the 1–5 scale."""
    pairs = [(averages[c], w) for c, w in weights.items() if averages.get(c) is not None]
    total = sum(w for _, w in pairs)
    if not total:
        return None
    return sum(avg * w for avg, w in pairs) / total


def engineer_results(period: Period, engineer=None) -> tuple[list[Question], list[EngineerRow]]:
    """Per engineer: number of signed surveys, average per rating item, the importance-weighted
    index and the customers' own "resolved" rate. Three queries, whatever the number of rows.

    R25: an item weighs what its answers were given with (Answer.importance, copied from the
    question at signing), so a weight changed today does not rewrite past results."""
    items = list(questions().filter(kind=QuestionKind.RATING))
    codes = [q.code for q in items]
    weights: dict[int, dict[str, float]] = defaultdict(dict)
    start, end = period.bounds
    responses = SurveyResponse.objects.filter(signed_at__gte=start, signed_at__lt=end)
    if engineer is not None:
        responses = responses.filter(visit__engineer=engineer)
    counts = dict(
        responses.values_list("visit__engineer")
        .annotate(n=Count("id"))
        .values_list("visit__engineer", "n")
    )
    rows = {
        user.pk: EngineerRow(engineer=user, surveys=counts[user.pk])
        for user in User.objects.filter(pk__in=counts).order_by("last_name", "first_name", "id")
    }
    answers = _answers_in(period, engineer)
    per_item = (
        answers.filter(kind=QuestionKind.RATING, code__in=codes)
        .values("response__visit__engineer", "code")
        .annotate(avg=Avg("score"), weight=Avg("importance"))
    )
    for item in per_item:
        row = rows.get(item["response__visit__engineer"])
        if row is not None:
            row.averages[item["code"]] = float(item["avg"])
            weights[row.engineer.pk][item["code"]] = float(item["weight"])
    resolved = (
        answers.filter(kind=QuestionKind.YES_NO, code="resolved")
        .values("response__visit__engineer")
        .annotate(yes=Count("id", filter=Q(yes=True)), n=Count("id"))
    )
    for item in resolved:
        row = rows.get(item["response__visit__engineer"])
        if row is not None:
            row.resolved_yes, row.resolved_answers = item["yes"], item["n"]
    for row in rows.values():
        row.index = weighted_index(row.averages, weights[row.engineer.pk])
    return items, list(rows.values())


def engineer_survey_count(period: Period) -> Coalesce:
    """R22: how many surveys the outer query's engineer (OuterRef("pk")) had signed in the
    period, for a list of engineers to carry in its own query (the supervisor's dashboard)."""
    start, end = period.bounds
    signed = (
        SurveyResponse.objects.filter(
            visit__engineer=OuterRef("pk"), signed_at__gte=start, signed_at__lt=end
        )
        .values("visit__engineer")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(signed), 0)


def satisfaction_by_engineer(period: Period) -> dict[int, float]:
    """R25: each engineer's importance-weighted satisfaction (1–5) over the period, as on the
    survey results page, in one query: the average of every active rating item per engineer,
    weighted by the importance its answers were given with (R25)."""
    per_item = (
        _answers_in(period)
        .filter(kind=QuestionKind.RATING, question__active=True)
        .values("response__visit__engineer", "code")
        .annotate(avg=Avg("score"), weight=Avg("importance"))
    )
    averages: dict[int, dict[str, float]] = defaultdict(dict)
    weights: dict[int, dict[str, float]] = defaultdict(dict)
    for row in per_item:
        engineer, code = row["response__visit__engineer"], row["code"]
        averages[engineer][code] = float(row["avg"])
        weights[engineer][code] = float(row["weight"])
    return {pk: weighted_index(averages[pk], weights[pk]) for pk in averages}


def comments(period: Period, engineer=None) -> QuerySet[Answer]:
    """The customers' own words, newest first."""
    return (
        _answers_in(period, engineer)
        .filter(kind=QuestionKind.TEXT)
        .exclude(comment="")
        .select_related("response__visit__ticket", "response__visit__engineer")
        .order_by("-response__signed_at", "-id")
    )


@dataclass
class QuadrantItem:
    question: Question
    importance: float
    satisfaction: float
    answers: int
    quadrant: str = ""


# R25: the four quadrants of importance × satisfaction (四分图), split at the items' means.
QUADRANTS = ("advantage", "repair", "opportunity", "maintain")


def quadrant_items(period: Period, engineer=None) -> list[QuadrantItem]:
    """R25: each item's importance is the mean of the importance its answers were signed with
    (Answer.importance), not today's weight: a weight changed today moves only later answers."""
    items = {q.code: q for q in questions().filter(kind=QuestionKind.RATING)}
    stats = (
        _answers_in(period, engineer)
        .filter(kind=QuestionKind.RATING, code__in=items)
        .values("code")
        .annotate(avg=Avg("score"), n=Count("id"), weight=Avg("importance"))
    )
    out = [
        QuadrantItem(
            question=items[s["code"]],
            importance=float(s["weight"]),
            satisfaction=float(s["avg"]),
            answers=s["n"],
        )
        for s in stats
    ]
    out.sort(key=lambda i: (i.question.position, i.question.pk))
    if not out:
        return out
    mean_imp = sum(i.importance for i in out) / len(out)
    mean_sat = sum(i.satisfaction for i in out) / len(out)
    for item in out:
        high_imp = item.importance >= mean_imp
        high_sat = item.satisfaction >= mean_sat
        item.quadrant = {
            (True, True): "advantage",  # 优势区: keep it up
            (True, False): "repair",  # 修补区: fix first
            (False, False): "opportunity",  # 机会区: improve when there is room
            (False, True): "maintain",  # 维持区: keep as is
        }[(high_imp, high_sat)]
    return out
