"""R27: banned phrases (服务禁语) in free text written to a customer.

The phrases are data (dispatch.BannedPhrase, editable in admin, seeded from the seeds). Other
apps call `find_banned_phrases(text)` before text goes to a customer and warn the writer; forms
get the warning through dispatch.forms.BannedPhraseCheck (live with htmx, or on submit).

Matching ignores spaces, punctuation and full-width/half-width differences, so
"这是我们公司的规定！" and "这是 我们公司的规定" both hit "这是我们公司的规定".
"""

import re
import unicodedata

from django.utils.translation import gettext as _

from .errors import RuleViolation
from .models import BannedPhrase

_NOISE = re.compile(r"[\W_]+")


def normalize(text: str) -> str:
    return _NOISE.sub("", unicodedata.normalize("NFKC", text or "")).lower()


def active_phrases() -> list[BannedPhrase]:
    return list(BannedPhrase.objects.filter(active=True))


def find_banned_phrases(text: str, phrases: list[BannedPhrase] | None = None) -> list[BannedPhrase]:
    """The active banned phrases `text` contains, in the order they appear (R27)."""
    haystack = normalize(text)
    if not haystack:
        return []
    found = []
    for phrase in active_phrases() if phrases is None else phrases:
        needle = normalize(phrase.phrase)
        position = haystack.find(needle) if needle else -1
        if position >= 0:
            found.append((position, phrase))
    return [phrase for _position, phrase in sorted(found, key=lambda item: item[0])]


def check_customer_text(text: str, *, confirmed: bool, field: str) -> list[str]:
    """R27 in the service: free text bound for a customer is refused once when it holds a banned
    phrase, naming it and what to say instead. Sent only with the writer's explicit
    confirmation; returns the phrases confirmed, for the caller to record in its event."""
    found = find_banned_phrases(text)
    if found and not confirmed:
        raise RuleViolation(
            "banned_phrase",
            _(
                "This text reaches the customer and contains a banned phrase (服务禁语): "
                "%(phrases)s. Rephrase it, or confirm that it is sent as written."
            )
            % {"phrases": "; ".join(_describe(phrase) for phrase in found)},
            field=field,
        )
    return [phrase.phrase for phrase in found]


def _describe(phrase: BannedPhrase) -> str:
    if phrase.suggestion:
        return _("“%(phrase)s” (suggestion: %(suggestion)s)") % {
            "phrase": phrase.phrase,
            "suggestion": phrase.suggestion,
        }
    return _("“%(phrase)s” (say what you can do for the customer instead)") % {
        "phrase": phrase.phrase
    }


# R28: tariff and price questions go to the account manager; the engineer doesn't answer them.
# Words that show a text is about to answer one (seed 000 §3.3: 资费、价格等敏感问题).
SENSITIVE_TOPICS = (
    "资费",
    "套餐",
    "价格",
    "收费",
    "话费",
    "月租",
    "费用",
    "优惠",
    "退费",
    "流量包",
)


def find_sensitive_topics(text: str) -> list[str]:
    """R28: the tariff/price words in `text`, so the writer is told to refer the customer to the
    account manager instead of answering."""
    haystack = normalize(text)
    return [word for word in SENSITIVE_TOPICS if word in haystack]
