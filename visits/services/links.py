"""The customer's short link to their appointment (issue 17): issued with every booking and
every move, one per visit, and sent by SMS.

The link is `<SITE_URL>c/<token>`: the token is 22 URL-safe characters (128 bits), so the
SMS variable that carries it, `c/<token>`, is 24 characters, within the providers' 35 for a
link variable (dispatch.sms.PROVIDER_LIMITS; the survey's 66-character link is not). The
site's address is fixed text of the template the centre registers (Aliyun asks for the domain
in the template, a link variable holds what follows it). A provider that takes no link in a
variable (Tencent) gets no link SMS: the booking goes on, the event says so.

Only the token's SHA-256 is stored. The token is an HMAC, keyed by the server's SECRET_KEY, of
the link's random nonce: the outbox keeps MARK in its place and the sending backend derives it
again (dispatch.customer_secrets), so no staff surface ever shows it.
"""

import base64
import hashlib
import secrets
from datetime import datetime

from django.core.signing import salted_hmac
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch import notifications
from dispatch.customer_secrets import MARK, SecretGone, reference, register
from dispatch.errors import RuleViolation

from ..models import CustomerLink, Visit, VisitStatus
from .common import sms_context

LINK_SALT = "visits.customer_link.token"
LINK_KIND = "visit-link"
TOKEN_LENGTH = 22
# The page's path under the site's address (planning.customer_urls serves it).
PATH_PREFIX = "c/"
# The link acts on a visit still waiting for the engineer to set out.
ACTIONABLE = frozenset({VisitStatus.BOOKED, VisitStatus.CONFIRMED})


def link_token(link: CustomerLink) -> str:
    """22 URL-safe characters, 128 bits of the HMAC of the link's nonce."""
    digest = salted_hmac(
        LINK_SALT, f"{link.visit_id}:{link.secret_nonce}", algorithm="sha256"
    ).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_link(visit: Visit, now: datetime | None = None) -> CustomerLink:
    """The visit's link, and the SMS that carries it. Called inside the booking's transaction
    (book_visit, and every move: the new visit gets a new link; the old one shows the move)."""
    now = now or timezone.now()
    link = CustomerLink(
        visit=visit, secret_nonce=secrets.token_hex(16), issued_at=now, expires_at=visit.start
    )
    link.token_hash = hash_token(link_token(link))
    link.save()
    try:
        notifications.queue_sms(
            ticket=visit.ticket,
            template="visit_link",
            context=sms_context(visit, link=PATH_PREFIX + MARK),
            key=f"visit:{visit.pk}:link",
            secret_ref=reference(LINK_KIND, link.pk),
        )
    except RuleViolation as exc:
        if exc.code != "sms_parameter_invalid":
            raise
        # The provider takes no link in a variable: no link SMS; the booking stands.
    return link


def find_link(token: str, *, lock: bool = False) -> CustomerLink:
    """The link of `token`, with its visit; a token that opens nothing is a 404 in words."""
    qs = CustomerLink.objects.select_related("visit__ticket", "visit__engineer")
    if lock:
        qs = qs.select_for_update(of=("self",))
    link = None
    if token and len(token) <= 64:
        link = qs.filter(token_hash=hash_token(token)).first()
    if link is None:
        raise RuleViolation(
            "link_unknown",
            _("This link opens nothing. Please check the SMS, or call us."),
            status=404,
        )
    return link


def _token_for(rest: str) -> str:
    link = CustomerLink.objects.select_related("visit").filter(pk=int(rest)).first()
    if link is None or not link.acts() or link.visit.status not in ACTIONABLE:
        raise SecretGone("Not sent: the appointment link was replaced or the visit has started.")
    token = link_token(link)
    if hash_token(token) != link.token_hash:
        raise SecretGone("Not sent: the server's key changed since the link was issued.")
    return token


def register_resolvers() -> None:
    # The length lets the outbox check the provider's link limit when the SMS is queued.
    register(LINK_KIND, _token_for, length=TOKEN_LENGTH)
