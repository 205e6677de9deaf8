"""Where a form goes back to after its POST: the page it was on, when that page said so."""

from django.utils.http import url_has_allowed_host_and_scheme


def back_to(request, default: str) -> str:
    """The form's `next` field if it is an address of this site, else `default`. A page of an
    app above names its own address this way, so the app that handles the POST (below it)
    names no page of the app above."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
