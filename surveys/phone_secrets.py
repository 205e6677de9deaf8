"""The survey's secrets of the customer's phone: the link's token and the one-time codes (R23).

Neither is stored. Both are HMACs, keyed by the server's SECRET_KEY, of the link's random nonce
(and, for a code, the number of the send), so:
- the SMS in the outbox keeps only a mask and a reference (dispatch.customer_secrets); the
  backend that sends it derives the same token or code again, on every retry;
- a re-issued link revokes the old one and a newer code replaces the last: the resolvers below
  refuse to derive a secret that no longer opens anything, so a stale SMS is not sent;
- the database alone (a dump, the admin, a staff page) holds nothing that can be replayed:
  the token's SHA-256, the code's HMAC and the nonce are useless without the key.
"""

import base64
import hashlib

from django.core.signing import salted_hmac
from django.utils import timezone

from dispatch.customer_secrets import SecretGone, one_time_code, reference, register

from .models import SurveyLink

LINK_SALT = "surveys.link.token"
CODE_SALT = "surveys.link.code.derive"
LINK_KIND = "survey-link"
CODE_KIND = "survey-code"


def link_token(link: SurveyLink) -> str:
    """The link's token: 43 URL-safe characters, 256 bits, like secrets.token_urlsafe(32)."""
    digest = salted_hmac(
        LINK_SALT, f"{link.visit_id}:{link.secret_nonce}", algorithm="sha256"
    ).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def link_code(link: SurveyLink, send: int, digits: int) -> str:
    """The code of the link's `send`-th SMS code."""
    return one_time_code(CODE_SALT, f"{link.pk}:{link.secret_nonce}:{send}", digits)


def link_reference(link: SurveyLink) -> str:
    return reference(LINK_KIND, link.pk)


def code_reference(link: SurveyLink, send: int) -> str:
    return reference(CODE_KIND, link.pk, send)


def _live_link(pk: str) -> SurveyLink:
    link = SurveyLink.objects.filter(pk=int(pk)).first()
    if link is None or not link.secret_nonce or not link.is_live():
        raise SecretGone("Not sent: the survey link was replaced, used or has expired.")
    return link


def _token_for(rest: str) -> str:
    token = link_token(_live_link(rest))
    if hashlib.sha256(token.encode()).hexdigest() != SurveyLink.objects.get(pk=rest).token_hash:
        # SECRET_KEY was rotated since the link was issued: this token would open nothing.
        raise SecretGone("Not sent: the server's key changed since the link was issued.")
    return token


def _code_for(rest: str) -> str:
    from . import rules

    pk, _sep, send = rest.partition(":")
    link = _live_link(pk)
    now = timezone.now()
    current = (
        link.code_hash
        and link.code_sends == int(send)
        and link.code_expires_at is not None
        and now < link.code_expires_at
    )
    if not current:
        raise SecretGone("Not sent: a newer code was sent, or this one was used or has expired.")
    return link_code(link, int(send), rules.CODE_DIGITS)


def register_resolvers() -> None:
    from . import rules

    # The lengths let the outbox check a provider's variable limits when the SMS is queued.
    register(LINK_KIND, _token_for, length=43)
    register(CODE_KIND, _code_for, length=rules.CODE_DIGITS)
