"""Secrets of the customer's phone in outbox messages (R23, see docs/rules.md).

A survey link and a one-time code prove that the customer, not a member of staff, signs. So the
outbox never stores them: a message that carries one is stored with MARK in the secret's place
and a reference (`Notification.secret_ref`, "<kind>:<id>…"). The secret is derived again, from
the reference and the server's key, only by a backend that hands the text to the customer's
phone (`customer_text`), and exists only in memory there. Every staff surface (outbox, alerts,
ticket and visit pages, admin, API, exports, logs, last_error) reads the stored, masked body.

The app that owns a secret registers a resolver for its kind (dispatch imports no other app):
the resolver answers the secret for a reference, the same for every retry, or raises
`SecretGone` when the secret no longer opens anything (a re-issued link, a newer code), so a
stale message is not sent.
"""

from collections.abc import Callable

from django.core.signing import salted_hmac

MARK = "••••••"

_RESOLVERS: dict[str, Callable[[str], str]] = {}
_LENGTHS: dict[str, int] = {}


class SecretGone(Exception):
    """The message's secret was replaced, used or has expired: sending it would be useless."""


def register(kind: str, resolver: Callable[[str], str], *, length: int | None = None) -> None:
    """`resolver(rest)` gets the reference after "<kind>:" and answers the secret in clear.
    `length`: how long the secret is, so a provider's limits can be checked before it exists."""
    _RESOLVERS[kind] = resolver
    if length is not None:
        _LENGTHS[kind] = length


def secret_length(ref: str) -> int | None:
    """The length of the secret a reference stands for, when its kind declared one."""
    return _LENGTHS.get(ref.partition(":")[0]) if ref else None


def one_time_code(salt: str, value: str, digits: int = 6) -> str:
    """A code of `digits` digits derived from `value` with the server's key: the same on every
    derivation (every retry of the SMS), never stored in clear."""
    digest = salted_hmac(salt, value, algorithm="sha256").digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**digits:0{digits}d}"


def keyed_hash(salt: str, value: str) -> str:
    """What is stored to check a code typed in: an HMAC with the server's key (six digits hashed
    plainly could be reversed in a second)."""
    return salted_hmac(salt, value, algorithm="sha256").hexdigest()


def reference(kind: str, *parts) -> str:
    return ":".join([kind, *(str(p) for p in parts)])


def secret_for(notification) -> str | None:
    """The message's secret in clear, or None when it carries none. Raises SecretGone."""
    ref = getattr(notification, "secret_ref", "")
    if not ref:
        return None
    kind, _sep, rest = ref.partition(":")
    resolver = _RESOLVERS.get(kind)
    if resolver is None:
        raise SecretGone(f"No resolver for secret kind {kind!r}.")
    return resolver(rest)


def fill(body: str, secret: str | None) -> str:
    """Put the secret in the MARK's place. The last MARK: the secret comes after anything a
    customer typed (a name), so a name that happens to hold the mark changes nothing."""
    if secret is None or MARK not in body:
        return body
    head, _mark, tail = body.rpartition(MARK)
    return head + secret + tail


def customer_text(notification) -> str:
    """What the customer's phone receives. Only a backend that sends calls this."""
    return fill(notification.body, secret_for(notification))


def scrub(text: str, notification) -> str:
    """An error or log line about a message, with the message's secret masked again."""
    try:
        secret = secret_for(notification)
    except SecretGone:
        return text
    if not secret:
        return text
    return text.replace(secret, MARK)
