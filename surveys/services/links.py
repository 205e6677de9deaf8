"""The survey link (R22, R23): issued once the work has ended, single-use, expiring, replaced
by the next one; found again by its token, never stored in clear."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.customer_secrets import MARK
from dispatch.errors import PermissionDenied, RuleViolation
from dispatch.locks import lock_visit
from dispatch.notifications import queue_sms
from dispatch.people import display_name
from dispatch.roles import Role, has_role
from visits.models import Visit

from .. import events, rules
from ..models import LinkChannel, LinkState, SurveyLink, SurveyResponse
from ..phone_secrets import link_reference, link_token


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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
