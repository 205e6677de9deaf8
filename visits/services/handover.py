"""R16, a handover mid-visit: the customer's own consent, given on the customer's side.

1. `request_handover`: the engineer under way asks to hand the visit to a colleague: to whom,
   when the colleague will be there (agreed with the customer), why (told to the customer), and
   a note for the colleague. The customer gets an SMS in the standard phrasing saying who takes
   over, when and why, with a one-time code. A newer request replaces the one before.
2. `confirm_handover`: the customer types the code on the customer's screen of the engineer's
   phone (or the engineer's phone app sends it). Only then is the visit handed over: it ends as
   "handed over" and its successor is booked for the receiving engineer, confirmed by the
   customer with the code, so the colleague does their own kit, self-check (R18–R20) and door
   checks (R14) like on any visit, and is punctual by the agreed time (R9).

The code is a secret of the customer's phone, like the survey's (R23): derived from the
request's nonce with the server's key only when the SMS is sent (dispatch.customer_secrets), so
the outbox, the pages, the admin and the API hold a mask; only its HMAC is kept, to check what is
typed. Codes expire (SEED_RULES["HANDOVER_CODE_MINUTES"]), and wrong ones are counted: after
CODE_MAX_ATTEMPTS the request is refused and the engineer asks again.
"""

import hmac
import secrets
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dispatch import deadlines, notifications
from dispatch.customer_secrets import (
    MARK,
    SecretGone,
    keyed_hash,
    one_time_code,
    reference,
    register,
)
from dispatch.errors import RuleViolation, require_text
from dispatch.language import check_customer_text
from dispatch.locks import lock_handover
from dispatch.models import Deadline, DeadlineKind, DeadlineState
from dispatch.people import display_name
from dispatch.rules import ARRIVE_EARLY, arrival_due, handover_code_ttl
from dispatch.transitions import require_transition

from .. import events
from ..models import (
    ConsentChannel,
    ConsentMethod,
    HandoverState,
    Visit,
    VisitHandover,
    VisitStatus,
)
from ..next_steps import under_way
from .booking import check_engineer_free, check_slot, insert_visit, local
from .common import (
    lock_visit,
    require_engineer,
    require_engineer_user,
    require_status,
    set_status,
)

S = VisitStatus

# The customer is waiting for the code on site, and the confirmation concerns a visit about to
# happen: quiet hours hold neither.
notifications.urgent_sms("visit_handover_code", "visit_handed_over")

CODE_DIGITS = 6
CODE_SALT = "visits.handover.code.derive"
HASH_SALT = "visits.handover.code"
CODE_KIND = "handover-code"
# Six digits and five tries: a guess succeeds once in 200,000 requests; then the request is
# refused, and a visit may have MAX_REQUESTS of them (each one another SMS to the customer).
CODE_MAX_ATTEMPTS = 5
MAX_REQUESTS = 5


# --- the code (a secret of the customer's phone) ------------------------------------------------


def handover_code(handover: VisitHandover) -> str:
    """The request's code, derived again from its nonce with the server's key."""
    return one_time_code(CODE_SALT, f"{handover.pk}:{handover.secret_nonce}", CODE_DIGITS)


def _code_hash(handover: VisitHandover, code: str) -> str:
    return keyed_hash(HASH_SALT, f"{handover.pk}:{code}")


def code_reference(handover: VisitHandover) -> str:
    return reference(CODE_KIND, handover.pk)


def _code_for(rest: str) -> str:
    """The sending backend's resolver: the code of a request still waiting for it, else none
    (a replaced, used, refused or expired request opens nothing: its SMS is not sent)."""
    handover = VisitHandover.objects.select_related("visit").filter(pk=int(rest)).first()
    if handover is None or not handover.is_live() or not under_way(handover.visit):
        raise SecretGone("Not sent: the handover request was replaced, used or has expired.")
    return handover_code(handover)


def register_resolvers() -> None:
    # The length lets the outbox check the SMS provider's limits when the code is queued.
    register(CODE_KIND, _code_for, length=CODE_DIGITS)


# --- asking --------------------------------------------------------------------------------------


def _require_under_way(visit: Visit) -> None:
    """R16: the visit's map lets it be handed over: the engineer is there, the work not done."""
    if not under_way(visit):
        raise RuleViolation(
            "not_under_way",
            _("Only a visit under way is handed over; before that, the desk reschedules it."),
            status=409,
        )


def _check_time(start: datetime, now: datetime, *, field: str | None = "start") -> None:
    """R9: the receiving engineer arrives 5 minutes before the time agreed with the customer,
    so that time must leave room for it."""
    if start - ARRIVE_EARLY <= now:
        raise RuleViolation(
            "handover_too_soon",
            _(
                "The receiving engineer arrives 5 minutes before the time agreed with the "
                "customer: agree a time after %(time)s."
            )
            % {"time": local(now + ARRIVE_EARLY, "%H:%M")},
            field=field,
            status=400 if field else 409,
        )


@transaction.atomic
def request_handover(
    *,
    actor,
    visit: Visit,
    to_engineer,
    start: datetime,
    end: datetime,
    note: str,
    reason: str,
    confirm_wording: bool = False,
) -> VisitHandover:
    """R16: ask the customer to agree to a colleague taking the visit over. The customer gets
    the SMS (who, when, why, R26; the reason checked for banned phrases, R27) with a one-time
    code; nothing changes hands until the code comes back (`confirm_handover`)."""
    visit = lock_visit(visit)
    require_engineer(actor, visit)
    _require_under_way(visit)
    require_engineer_user(to_engineer)
    if to_engineer.pk == visit.engineer_id:
        raise RuleViolation("same_engineer", _("Choose another engineer."), field="engineer")
    note = require_text(
        note,
        code="handover_note_required",
        message=_("Write a handover note, so the next engineer knows everything done so far."),
        field="note",
    )
    reason = require_text(
        reason,
        code="reason_required",
        message=_("Say why a colleague takes over: the customer reads it in the SMS."),
        field="reason",
    )
    confirmed = check_customer_text(reason, confirmed=confirm_wording, field="reason")
    now = timezone.now()
    check_slot(start=start, end=end, now=now)
    _check_time(start, now)
    phone = visit.ticket.phone
    if not phone:
        raise RuleViolation(
            "no_phone",
            _("The ticket has no contact phone: the customer's consent needs their mobile."),
            status=409,
        )
    asked = VisitHandover.objects.filter(visit=visit).count()
    if asked >= MAX_REQUESTS:
        raise RuleViolation(
            "handover_limit",
            _(
                "This visit has had %(n)d handover requests, the most allowed. Please ask the "
                "supervisor."
            )
            % {"n": asked},
            status=409,
        )
    # R7, for a clear message now (free/busy: no colleague's ticket named); checked again, under
    # the engineer's lock, when the customer agrees.
    check_engineer_free(engineer=to_engineer, start=start, end=end, exclude=visit, desk=False)
    replaced = VisitHandover.states.update(
        VisitHandover.objects.filter(visit=visit), HandoverState.SUPERSEDED, code_hash=""
    )
    handover = VisitHandover.objects.create(
        visit=visit,
        from_engineer=visit.engineer,
        to_engineer=to_engineer,
        note=note,
        reason=reason,
        start=start,
        end=end,
        requested_by=actor,
        phone=phone,
        secret_nonce=secrets.token_hex(16),
        code_expires_at=now + handover_code_ttl(),
    )
    handover.code_hash = _code_hash(handover, handover_code(handover))
    handover.save(update_fields=["code_hash"])
    events.visit_handover_requested_event(
        handover=handover, actor=actor, replaced=replaced, banned_phrases_confirmed=confirmed
    )
    notifications.queue_sms(
        ticket=visit.ticket,
        template="visit_handover_code",
        context={
            "visit": visit,
            "engineer_name": display_name(visit.engineer),
            "to_engineer_name": display_name(to_engineer),
            "start": start,
            "end": end,
            "reason": reason,
            "code": MARK,
            "minutes": int(handover_code_ttl().total_seconds() // 60),
        },
        key=f"visit:{visit.pk}:handover-code:{handover.pk}",
        phone=phone,
        urgent=True,
        secret_ref=code_reference(handover),
    )
    return handover


# --- the customer's consent ----------------------------------------------------------------------

OUTCOME_MESSAGES = {
    "no_request": (
        gettext_lazy("No handover is waiting for the customer's code: ask for one first."),
        409,
    ),
    "handed_over": (gettext_lazy("This visit has been handed over already."), 409),
    "code_expired": (
        gettext_lazy("The code has expired. Ask for the handover again: a new code is sent."),
        409,
    ),
    "wrong": (
        gettext_lazy("That code is not right. Please check the SMS and type it again."),
        400,
    ),
    "locked": (
        gettext_lazy(
            "Too many wrong codes: this handover request is refused. The engineer may ask again."
        ),
        409,
    ),
}


def confirm_handover(
    *, actor, visit: Visit, code: str, channel: str = ConsentChannel.PAGE
) -> VisitHandover:
    """R16: the customer agrees by typing the code their phone received; the visit is handed
    over. `actor` is the session the code is typed in: the visit's engineer's phone. A wrong
    code is counted even though it raises (the count is committed first)."""
    outcome, handover = _agree(actor=actor, visit=visit, code=code, channel=channel)
    if outcome == "ok":
        return handover
    message, status = OUTCOME_MESSAGES[outcome]
    raise RuleViolation(outcome, str(message), field="code", status=status)


@transaction.atomic
def _agree(*, actor, visit: Visit, code: str, channel: str):
    now = timezone.now()
    visit = lock_visit(visit)
    require_engineer(actor, visit)
    pending = visit.handovers.filter(state=HandoverState.PENDING).order_by("-id").first()
    if pending is None:
        return ("handed_over" if visit.status == S.HANDED_OVER else "no_request"), None
    _require_under_way(visit)
    handover = lock_handover(pending)
    if now >= handover.code_expires_at:
        return "code_expired", handover
    handover.code_attempts += 1
    typed = "".join(ch for ch in str(code or "") if ch.isdigit())
    if not hmac.compare_digest(_code_hash(handover, typed), handover.code_hash):
        fields = ["code_attempts"]
        if handover.code_attempts >= CODE_MAX_ATTEMPTS:
            require_transition(handover, HandoverState.LOCKED)
            handover.state, handover.code_hash = HandoverState.LOCKED, ""
            fields += ["state", "code_hash"]
            events.visit_handover_locked_event(handover=handover)
        handover.save(update_fields=fields)
        return ("locked" if handover.state == HandoverState.LOCKED else "wrong"), handover
    _hand_over(visit=visit, handover=handover, actor=actor, channel=channel, now=now)
    return "ok", handover


def _hand_over(*, visit: Visit, handover: VisitHandover, actor, channel: str, now) -> Visit:
    """End the locked visit as handed over and book its successor for the receiving engineer."""
    require_status(visit, S.HANDED_OVER)
    _check_time(handover.start, now, field=None)
    receiver = handover.to_engineer
    require_engineer_user(receiver)
    # R7 under the receiving engineer's lock (last in the lock order, dispatch/locks.py); the
    # exclusion constraint stays the guarantee (insert_visit turns a lost race into a 409).
    check_engineer_free(
        engineer=receiver, start=handover.start, end=handover.end, exclude=visit, desk=False
    )
    successor = insert_visit(
        ticket=visit.ticket,
        engineer=receiver,
        start=handover.start,
        end=handover.end,
        booked_by=actor,
        handed_over_from=visit,
        # R8: the customer confirmed this time with the code; no second call is owed.
        status=S.CONFIRMED,
        reconfirmed_at=now,
    )
    visit.closed_reason, visit.closed_at, visit.closed_by = handover.reason, now, actor
    fields = ["closed_reason", "closed_at", "closed_by"]
    if visit.status == S.AT_WORK and visit.work_ended_at is None:
        visit.work_ended_at = now
        fields.append("work_ended_at")
    set_status(visit, S.HANDED_OVER, *fields)
    # The visit's open promises follow the work to the successor and its engineer (nothing
    # dropped); R9: the receiving engineer is punctual 5 minutes before the agreed time (one
    # arrival promise: open_deadline replaces any moved one, nothing doubled).
    moved = Deadline.objects.filter(visit=visit, state=DeadlineState.OPEN).update(
        visit=successor, responsible=receiver
    )
    deadlines.open_deadline(
        kind=DeadlineKind.ARRIVAL,
        ticket=visit.ticket,
        visit=successor,
        due_at=arrival_due(successor.start),
        responsible=receiver,
    )
    require_transition(handover, HandoverState.CONFIRMED)
    handover.state = HandoverState.CONFIRMED
    handover.consent_method = ConsentMethod.SMS_CODE
    handover.consent_channel = channel
    handover.consent_device_user = actor
    handover.consented_at = now
    handover.code_hash = ""
    handover.save(
        update_fields=[
            "code_attempts",
            "state",
            "consent_method",
            "consent_channel",
            "consent_device_user",
            "consented_at",
            "code_hash",
        ]
    )
    # The consent as given: by the code sent to the customer's phone, typed on this engineer's
    # phone, through this path, now.
    events.visit_handed_over_event(
        handover=handover, actor=actor, successor=successor, deadlines_moved=moved
    )
    events.visit_booked_event(visit=successor, actor=actor, reason=handover.reason)
    # R16: the note reaches the receiving engineer: an alert now, their visit page and the API.
    notifications.notify_staff(
        user=receiver,
        template="visit_handover_staff",
        context={"visit": successor, "from_engineer": visit.engineer, "note": handover.note},
        ticket=visit.ticket,
        key=f"visit:{visit.pk}:handover:{handover.pk}:{receiver.pk}",
    )
    # R7/R26: the time is confirmed back to the customer in the standard phrasing.
    notifications.queue_sms(
        ticket=visit.ticket,
        template="visit_handed_over",
        context={"visit": successor, "engineer_name": display_name(receiver)},
        key=f"visit:{visit.pk}:handed-over:{handover.pk}",
        phone=handover.phone,
    )
    return successor
