"""Signing (R22–R24): the customer's answers, the confirmed work order and the signature,
checked together and written once, with their digest and seal."""

import hmac
from datetime import datetime

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dispatch.errors import Checks, PermissionDenied, RuleViolation
from dispatch.locks import lock_link
from dispatch.people import display_name
from dispatch.transitions import require_transition
from visits.models import Visit, VisitStatus

from .. import events
from ..integrity import compute_digest, compute_seal, measurement_snapshot
from ..models import Answer, LinkState, Question, QuestionKind, SurveyLink, SurveyResponse
from ..signature import clean_strokes, pointer_types, render_png
from .links import check_live, find_link, hash_token, needs_code

MAX_COMMENT = 1000


def work_order_lines(visit: Visit) -> list[tuple[str, str]]:
    """R24: what the customer confirms by signing the work order, label and value."""
    ticket = visit.ticket
    engineer = display_name(visit.engineer)
    resolved = visit.status == VisitStatus.RESOLVED
    lines = [
        (_("Work order"), ticket.number),
        (_("Address"), ticket.address or "—"),
        (_("Fault phenomenon"), ticket.phenomenon or "—"),
        (_("Engineer"), engineer),
    ]
    if visit.work_started_at and visit.work_ended_at:
        local_start = timezone.localtime(visit.work_started_at)
        local_end = timezone.localtime(visit.work_ended_at)
        lines.append((_("On-site test"), f"{local_start:%Y-%m-%d %H:%M}–{local_end:%H:%M}"))
    elif visit.work_ended_at:
        lines.append((_("Work ended"), f"{timezone.localtime(visit.work_ended_at):%Y-%m-%d %H:%M}"))
    outcome = {
        VisitStatus.RESOLVED: _("Resolved on site"),
        VisitStatus.UNRESOLVED: _("Not resolved on site"),
        VisitStatus.REPLIED: _("Not resolved on site; the customer has had the promised reply"),
    }[visit.status]
    lines.append((_("Outcome"), outcome))
    if visit.result_summary:
        lines.append((_("Result"), visit.result_summary))
    # R15: an unresolved problem carries the reply time the engineer promised.
    if not resolved and visit.promised_reply_at:
        when = timezone.localtime(visit.promised_reply_at)
        lines.append((_("Promised reply by"), f"{when:%Y-%m-%d %H:%M}"))
    return lines


def work_order_text(visit: Visit) -> str:
    """The work order in the words the customer read (their page's language)."""
    sep = "：" if (translation.get_language() or "").startswith("zh") else ": "
    return "\n".join(f"{label}{sep}{value}" for label, value in work_order_lines(visit))


def _clean_answers(questions: list[Question], answers: dict) -> list[Answer]:
    out, errors = [], []
    for question in questions:
        raw = answers.get(question.code)
        raw = raw.strip() if isinstance(raw, str) else raw
        answer = Answer(
            question_id=question.pk,
            position=question.position,
            code=question.code,
            kind=question.kind,
            text=question.text,
            importance=question.importance,
        )
        if raw in (None, ""):
            if question.required:
                errors.append(question)
                continue
        elif question.kind == QuestionKind.RATING:
            try:
                answer.score = int(raw)
            except (TypeError, ValueError):
                answer.score = None
            if answer.score not in range(1, 6):
                errors.append(question)
                continue
        elif question.kind == QuestionKind.YES_NO:
            value = {"yes": True, "no": False, True: True, False: False}.get(raw)
            if value is None:
                errors.append(question)
                continue
            answer.yes = value
        else:
            answer.comment = str(raw)[:MAX_COMMENT]
        out.append(answer)
    if errors:
        # One sentence naming them all, and each item's own (the page shows them at the items).
        raise RuleViolation.together(
            [
                RuleViolation(
                    "answers_missing",
                    _("Please answer: %(items)s.")
                    % {"items": "、".join(str(q.label) for q in errors)},
                    field="answers",
                ),
                *(
                    RuleViolation(
                        "answers_missing",
                        _("Please answer this item."),
                        field=f"answers.{q.code}",
                    )
                    for q in errors
                ),
            ]
        )
    return out


def _check_signable(link: SurveyLink, actor, binding: str, now: datetime) -> bool:
    """Refuse a used, dead or unproved link; say whether the code was proved (R23)."""
    if SurveyResponse.objects.filter(visit_id=link.visit_id).exists():
        raise RuleViolation(
            "link_used", _("This survey has already been signed. Thank you."), status=410
        )
    check_live(link, now)
    if not needs_code(link, actor):
        return False
    proved = bool(
        link.code_verified_at
        and link.binding_hash
        and binding
        and hmac.compare_digest(hash_token(binding), link.binding_hash)
    )
    if not proved:
        raise PermissionDenied(
            _(
                "Only the customer can sign: enter the code sent by SMS to the customer's "
                "phone first."
            ),
            code="code_required",
        )
    return True


def sign_survey(
    *,
    actor,
    token: str,
    answers: dict,
    work_order_confirmed: bool,
    strokes: dict | str,
    binding: str = "",
    ip_address: str | None = None,
    user_agent: str = "",
    now: datetime | None = None,
) -> SurveyResponse:
    """R22–R24: the customer's answers, work-order confirmation and signature, written once.

    `actor` is whoever holds the browser: anonymous on the customer's own phone, or the
    engineer's session on the engineer's phone, in which case the code proof (`binding`) is
    required (R23). `strokes` is the pad's JSON (or its parsed dict), bounded in size.

    Two steps: the input is checked and the signature drawn holding no lock (the CPU it costs
    never queues another request), then the ticket, the visit and the link are locked in the
    order of dispatch/locks.py, every check is made again on the locked rows, and the survey is
    written in one transaction.
    """
    now = now or timezone.now()
    _check_signable(find_link(token), actor, binding, now)
    # Issue 15: the confirmation, the answers and the signature are checked together, so the
    # customer corrects everything at once.
    checks = Checks()
    if not work_order_confirmed:
        checks.add(
            RuleViolation(
                "work_order_unconfirmed",
                _("Please confirm the work order before signing."),
                field="confirm",
            )
        )
    questions = list(Question.objects.filter(active=True).order_by("position", "id"))
    answer_rows: list[Answer] = []
    with checks:
        answer_rows = _clean_answers(questions, answers or {})
    clean: dict = {}
    with checks:
        clean = clean_strokes(strokes)
    checks.done()
    clean["signed_at"] = timezone.localtime(now).isoformat(timespec="milliseconds")
    png = render_png(clean)
    return _write_signed_survey(
        actor=actor,
        token=token,
        binding=binding,
        answer_rows=answer_rows,
        clean=clean,
        png=png,
        ip_address=ip_address,
        user_agent=user_agent,
        now=now,
    )


@transaction.atomic
def _write_signed_survey(
    *, actor, token, binding, answer_rows, clean, png, ip_address, user_agent, now
) -> SurveyResponse:
    link = lock_link(find_link(token))
    visit = link.visit
    verified = _check_signable(link, actor, binding, now)
    field = SurveyResponse._meta.get_field("ip_address")
    response = SurveyResponse(
        visit=visit,
        link=link,
        signed_at=now,
        channel=link.channel,
        verified_by_code=verified,
        phone=link.phone,
        ip_address=field.get_prep_value(ip_address) if ip_address else None,
        user_agent=(user_agent or "")[:500],
        session_user=actor if actor is not None and actor.is_authenticated else None,
        work_order_text=work_order_text(visit),
        measurements=measurement_snapshot(visit.pk),
        signature_png=png,
        signature_strokes=clean,
    )
    response.digest = compute_digest(response, answer_rows, response.measurements)
    response.seal = compute_seal(response.digest)
    response.save()
    for answer in answer_rows:
        answer.response = response
    Answer.objects.bulk_create(answer_rows)
    require_transition(link, LinkState.USED)
    link.used_at = now
    link.save(update_fields=["used_at"])

    scores = [a.score for a in answer_rows if a.score is not None]
    summary = {
        "response": response.pk,
        "digest": response.digest,
        "channel": link.channel,
        "verified_by_code": verified,
        "pointer": pointer_types(clean),
        "average": round(sum(scores) / len(scores), 2) if scores else None,
    }
    events.survey_signed_event(response=response, summary=summary)
    events.survey_work_order_signed_event(response=response)
    return response
