"""Links written many times on one page: the URL reversed once, then formatted per row.
`reverse()` walks the resolver on every call (tens of microseconds); a list of a thousand rows
paid for it a thousand times (make bench: the board, the dashboard)."""

from django.urls import reverse


def url_format(viewname: str) -> str:
    """The view's URL with `{}` where its one argument goes: `url_format(name).format(arg)`.
    For arguments made by the system (ids, ticket numbers), never for user input."""
    return reverse(viewname, args=["0"]).replace("/0/", "/{}/")
