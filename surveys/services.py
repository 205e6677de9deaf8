"""Every state change of the survey (docs/design.md#a-state-change): issue a link, prove the
customer's phone, sign, hand over the commitment card, edit the questions.

R23 is a property of these functions, not of the pages: a signed survey can only come out of
`sign_survey`, which needs a live single-use token, and, whenever the token has been on a staff
member's screen or is used in a staff member's browser, the one-time code sent by SMS to the
customer's own number, proved in the same browser.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dispatch.customer_secrets import MARK, keyed_hash
from dispatch.errors import Checks, PermissionDenied, RuleViolation
from dispatch.locks import lock_link, lock_visit
from dispatch.notifications import queue_sms, urgent_sms
from dispatch.people import display_name
from dispatch.roles import Role, has_role
from dispatch.rules import faq_handbook_allowed
from dispatch.transitions import require_transition
from visits.models import Visit, VisitStatus
from visits.services import require_engineer

from . import events, rules
from .integrity import compute_digest, compute_seal, measurement_snapshot
from .models import (
    Answer,
    CardHandover,
    CardItem,
    LinkChannel,
    LinkState,
    Question,
    QuestionKind,
    SurveyLink,
    SurveyResponse,
)
from .phone_secrets import code_reference, link_code, link_reference, link_token
from .signature import clean_strokes, pointer_types, render_png

# R23: the one-time code lives minutes and the customer waits for it on site: quiet hours must
# not hold it. The survey link (valid a day) may wait for the morning.
urgent_sms("survey_code")

CODE_SALT = "surveys.link.code"
MAX_COMMENT = 1000


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _code_hash(link: SurveyLink, code: str) -> str:
    return keyed_hash(CODE_SALT, f"{link.pk}:{code}")


def customer_path(token: str) -> str:
    return reverse("surveys:customer", kwargs={"token": token})


def needs_code(link: SurveyLink, user) -> bool:
    """R23: the token alone proves the customer only when it went by SMS to the customer's phone
    and is used outside any staff session. A QR code and the engineer's phone have shown the
    token to the engineer; a logged-in browser is a staff member's device."""
    return link.channel != LinkChannel.SMS or bool(user and user.is_authenticated)


def check_live(link: SurveyLink, now: datetime) -> None:
    if link.used_at is not None:
        raise RuleViolation(
            "link_used", _("This survey has already been signed. Thank you."), status=410
        )
    if link.revoked_at is not None:
        raise RuleViolation(
            "link_revoked",
            _("This link has been replaced by a newer one. Please use the latest link."),
            status=410,
        )
    if now >= link.expires_at:
        raise RuleViolation(
            "link_expired",
            _("This link has expired. Please ask the engineer or call 10000 for a new one."),
            status=410,
        )


# --- issuing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedLink:
    link: SurveyLink
    # The token in clear exists only here, for the engineer's screen (QR, engineer's phone),
    # where the page still asks for the customer's SMS code; the SMS link is derived again
    # when it is sent. Callers show it only for those channels (R23).
    token: str
    url: str


@transaction.atomic
def issue_link(
    *, actor, visit: Visit, channel: str, base_url: str, now: datetime | None = None
) -> IssuedLink:
    """R22/R23: a single-use, expiring link to the survey of a visit whose work has ended."""
    now = now or timezone.now()
    visit = lock_visit(visit)
    if channel not in LinkChannel.values:
        raise RuleViolation("invalid_channel", _("Choose how the customer opens the survey."))
    is_engineer = visit.engineer_id == actor.pk
    desk = has_role(actor, Role.DISPATCHER, Role.SUPERVISOR)
    if channel == LinkChannel.SMS:
        if not (is_engineer or desk):
            raise PermissionDenied(_("Only the visit's engineer or the desk can send the survey."))
    elif not is_engineer:
        # A field step (R21, R23): only the engineer shows the survey on site.
        raise PermissionDenied(
            _("Only the visit's engineer can show the survey to the customer on site."),
            code="not_visit_engineer",
        )
    if visit.status not in rules.WORK_ENDED_STATUSES or visit.work_ended_at is None:
        raise RuleViolation(
            "work_not_ended",
            _("The survey comes after the work: record the test results first."),
            status=409,
        )
    if SurveyResponse.objects.filter(visit=visit).exists():
        raise RuleViolation(
            "already_signed", _("The customer has already signed this survey."), status=409
        )
    phone = visit.ticket.phone
    if not phone:
        raise RuleViolation(
            "no_phone",
            _("The ticket has no contact phone: the survey needs the customer's mobile number."),
            status=409,
        )
    # R23: every link is another SMS to the customer and another token in someone's hands.
    issued = SurveyLink.objects.filter(visit=visit).count()
    if issued >= rules.link_max_issues():
        raise RuleViolation(
            "link_limit",
            _(
                "This visit has had %(n)d survey links, the most allowed. Please ask the "
                "supervisor to contact the customer."
            )
            % {"n": issued},
            status=409,
        )
    # R23: the new link replaces any still open (expired or not), in the same transaction.
    SurveyLink.states.update(
        SurveyLink.objects.filter(visit=visit), LinkState.REVOKED, revoked_at=now
    )
    ttl = rules.sms_link_ttl() if channel == LinkChannel.SMS else rules.on_site_link_ttl()
    link = SurveyLink(
        visit=visit,
        channel=channel,
        secret_nonce=secrets.token_hex(16),
        phone=phone,
        issued_by=actor,
        issued_at=now,
        expires_at=now + ttl,
    )
    # R23: derived from the nonce with the server's key, so the SMS can be built when it is
    # sent and the outbox never holds the token (surveys.phone_secrets).
    token = link_token(link)
    link.token_hash = hash_token(token)
    link.save()
    url = base_url.rstrip("/") + customer_path(token)
    events.survey_link_issued_event(link=link, actor=actor)
    if channel == LinkChannel.SMS:
        queue_sms(
            ticket=visit.ticket,
            template="survey_link",
            context={
                "visit": visit,
                "engineer_name": display_name(visit.engineer),
                "url": url.replace(token, MARK),
                "expires_at": link.expires_at,
            },
            key=f"survey-link-{link.pk}",
            phone=phone,
            secret_ref=link_reference(link),
        )
    return IssuedLink(link=link, token=token, url=url)


def find_link(token: str) -> SurveyLink:
    link = (
        SurveyLink.objects.select_related("visit__ticket", "visit__engineer")
        .filter(token_hash=hash_token(token or ""))
        .first()
    )
    if link is None:
        raise RuleViolation(
            "link_unknown",
            _("This survey link is not valid. Please check the SMS or ask the engineer."),
            status=404,
        )
    return link


# --- the one-time code ----------------------------------------------------------------------


@transaction.atomic
def send_code(*, link: SurveyLink, now: datetime | None = None) -> SurveyLink:
    """R23: send a one-time code to the customer's number, for a link that needs one."""
    now = now or timezone.now()
    link = lock_link(link)
    check_live(link, now)
    if link.code_sends >= rules.CODE_MAX_SENDS:
        raise RuleViolation(
            "code_limit",
            _("Too many codes were sent for this link. Please ask the engineer for a new one."),
            status=429,
        )
    if link.code_sent_at and now - link.code_sent_at < rules.CODE_RESEND_AFTER:
        wait = int((rules.CODE_RESEND_AFTER - (now - link.code_sent_at)).total_seconds()) + 1
        raise RuleViolation(
            "code_wait",
            _("A code was just sent. You can ask for another in %(s)d seconds.") % {"s": wait},
            status=429,
        )
    if not link.secret_nonce:
        # A link issued before codes were derived (see the migration that masked the outbox).
        link.secret_nonce = secrets.token_hex(16)
    link.code_sends += 1
    # R23: derived again when the SMS is sent; only its HMAC is kept to check the answer.
    code = link_code(link, link.code_sends, rules.CODE_DIGITS)
    link.code_hash = _code_hash(link, code)
    link.code_sent_at = now
    link.code_expires_at = now + rules.CODE_TTL
    link.save(
        update_fields=["secret_nonce", "code_hash", "code_sent_at", "code_expires_at", "code_sends"]
    )
    visit = link.visit
    events.survey_code_sent_event(link=link)
    queue_sms(
        ticket=visit.ticket,
        template="survey_code",
        context={"code": MARK, "minutes": int(rules.CODE_TTL.total_seconds() // 60)},
        key=f"survey-code-{link.pk}-{link.code_sends}",
        phone=link.phone,
        # The customer is waiting for it, and it lasts ten minutes: never held by quiet hours.
        urgent=True,
        secret_ref=code_reference(link, link.code_sends),
    )
    return link


@transaction.atomic
def _check_code(link_pk: int, code: str, now: datetime) -> tuple[str, str]:
    link = lock_link(link_pk)
    check_live(link, now)
    if not link.code_hash or link.code_expires_at is None:
        return "no_code", ""
    if now >= link.code_expires_at:
        return "code_expired", ""
    link.code_attempts += 1
    code = "".join(ch for ch in str(code or "") if ch.isdigit())
    if hmac.compare_digest(_code_hash(link, code), link.code_hash):
        nonce = secrets.token_urlsafe(24)
        link.code_verified_at = now
        link.binding_hash = hash_token(nonce)
        # A code works once: the next browser would need a new one.
        link.code_hash = ""
        link.save(update_fields=["code_attempts", "code_verified_at", "binding_hash", "code_hash"])
        return "ok", nonce
    fields = ["code_attempts"]
    if link.code_attempts >= rules.CODE_MAX_ATTEMPTS:
        require_transition(link, LinkState.REVOKED)
        link.revoked_at = now
        fields.append("revoked_at")
        events.survey_link_locked_event(link=link)
    link.save(update_fields=fields)
    return ("locked" if link.revoked_at else "wrong"), ""


def verify_code(*, link: SurveyLink, code: str, now: datetime | None = None) -> str:
    """R23: check the code the customer typed. Returns a nonce that binds the proof to this
    browser; a wrong guess is counted even though it raises (the count is committed first)."""
    outcome, nonce = _check_code(link.pk, code, now or timezone.now())
    if outcome == "ok":
        return nonce
    messages = {
        "no_code": _("Ask for a code first: it is sent to the customer's phone."),
        "code_expired": _("The code has expired. Ask for a new one."),
        "wrong": _("That code is not right. Please check the SMS and try again."),
        "locked": _("Too many wrong codes: this link is locked. Please ask the engineer."),
    }
    raise RuleViolation(outcome, messages[outcome], field="code", status=400)


# --- signing --------------------------------------------------------------------------------


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


# --- after signing --------------------------------------------------------------------------


@transaction.atomic
def hand_over_card(
    *, actor, visit: Visit, item: str = CardItem.CARD, now: datetime | None = None
) -> CardHandover:
    """R24: after the work order is signed, the commitment card is handed over and the customer
    is told by SMS to call 10000 for any further problem. R18: the FAQ handbook stands in for
    the card only where the centre allows it (SEED_RULES["FAQ_HANDBOOK_ALLOWED"]); a handbook
    recorded before the centre withdrew it may be replaced by the card."""
    now = now or timezone.now()
    visit = lock_visit(visit)
    require_engineer(actor, visit)  # R24: a field step, the visit's engineer's own
    if item not in CardItem.values:
        raise RuleViolation("invalid_item", _("Choose what was handed over."), field="item")
    if item == CardItem.FAQ and not faq_handbook_allowed():
        raise RuleViolation(
            "handbook_not_allowed",
            _(
                "The centre does not allow the FAQ handbook in place of the service commitment "
                "card: hand over the card."
            ),
            field="item",
        )
    # R24: after the signed work order, or once the reason there is none is recorded.
    if not visit.no_survey_reason and not SurveyResponse.objects.filter(visit=visit).exists():
        raise RuleViolation(
            "not_signed",
            _("The customer signs the work order first; then hand over the card."),
            status=409,
        )
    handover = CardHandover.objects.filter(visit=visit).first()
    replaces_handbook = (
        handover is not None and handover.item == CardItem.FAQ and not faq_handbook_allowed()
    )
    if handover is not None and not replaces_handbook:
        raise RuleViolation(
            "card_already_handed", _("The card handover is already recorded."), status=409
        )
    if replaces_handbook:
        handover.item, handover.handed_by, handover.handed_at = item, actor, now
        handover.save(update_fields=["item", "handed_by", "handed_at"])
    else:
        handover = CardHandover.objects.create(
            visit=visit, item=item, handed_by=actor, handed_at=now
        )
    events.survey_card_handed_over_event(
        handover=handover, actor=actor, replaces_handbook=replaces_handbook
    )
    queue_sms(
        ticket=visit.ticket,
        template="survey_closing",
        context={"visit": visit},
        key=f"survey-closing-{visit.pk}",
    )
    return handover


# --- questions (R25) ------------------------------------------------------------------------

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
