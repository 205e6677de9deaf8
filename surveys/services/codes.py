"""The one-time code (R23): sent by SMS to the customer's own number, proved once, in one
browser, which it binds to the link."""

import hmac
import secrets
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.customer_secrets import MARK, keyed_hash
from dispatch.errors import RuleViolation
from dispatch.locks import lock_link
from dispatch.notifications import queue_sms, urgent_sms
from dispatch.transitions import require_transition

from .. import events, rules
from ..models import LinkState, SurveyLink
from ..phone_secrets import code_reference, link_code
from .links import check_live, hash_token

# R23: the one-time code lives minutes and the customer waits for it on site: quiet hours must
# not hold it. The survey link (valid a day) may wait for the morning.
urgent_sms("survey_code")

CODE_SALT = "surveys.link.code"


def _code_hash(link: SurveyLink, code: str) -> str:
    return keyed_hash(CODE_SALT, f"{link.pk}:{code}")


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
