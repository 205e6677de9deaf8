"""Finding tickets by what a caller says (issue 15): their phone, name, address, or the ticket's
number. docs/benchmarks.md ("Ticket search") has the measurements behind the choice.

One text per ticket, `number name contact phone address`, matched with UPPER(text) LIKE
UPPER('%term%') for every word of the query (all must match). On PostgreSQL a pg_trgm GIN index
over that very expression (migration dispatch 0019) answers terms of three characters or more
without reading the table; Chinese works, as pg_trgm hashes CJK characters like letters. Full-
text search was measured and dropped: PostgreSQL's parsers don't split Chinese into words, so
"天河" finds nothing in "广州市天河区…". On SQLite (`make run`) the same query scans.

A phone typed the way people say it ("138 0013 8000", "+86 138-0013-8000") is one term, its
digits: numbers are stored as +86…, so the digits of the national number are searched.
"""

import re

from django.db.models import F, Func, QuerySet, TextField

COLUMNS = ("number", "customer_name", "contact_person", "phone", "address")
# A term shorter than this can't use the trigram index (docs/benchmarks.md): still answered,
# by a scan, which stays fast at the centre's volume.
TRIGRAM = 3
MAX_TERMS = 5
PHONE_LIKE = re.compile(r"^\+?[\d\s\-()]{5,}$")


class SearchText(Func):
    """The searched text of a ticket; the expression of the trigram index (dispatch 0019)."""

    template = "(%(expressions)s)"
    arg_joiner = " || ' ' || "
    output_field = TextField()

    def __init__(self):
        super().__init__(*[F(column) for column in COLUMNS])


def terms(query: str) -> list[str]:
    """The words to find, each of them in the ticket's text. A phone number is one word, its
    digits without the country code."""
    query = (query or "").strip()
    if not query:
        return []
    if PHONE_LIKE.match(query):
        digits = re.sub(r"\D", "", query)
        if len(digits) == 13 and digits.startswith("86"):
            digits = digits[2:]
        return [digits]
    return query.split()[:MAX_TERMS]


def search(qs: QuerySet, query: str) -> QuerySet:
    words = terms(query)
    if not words:
        return qs
    qs = qs.alias(search_text=SearchText())
    for word in words:
        qs = qs.filter(search_text__icontains=word)
    return qs
