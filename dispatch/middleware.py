"""Project-wide request guards."""

from functools import wraps

from django.http import HttpResponseNotAllowed
from django.middleware.gzip import GZipMiddleware as DjangoGZipMiddleware

# The pages are HTML forms and htmx posts: GET (and HEAD) to read, POST to act. The API (DRF)
# states its own methods per endpoint.
PAGE_METHODS = ("GET", "HEAD", "POST")


def page_methods(get_response):
    """A PUT, PATCH or DELETE to a page answers 405, as the permission matrix expects of every
    method a route does not serve, instead of being handled as if it were a GET."""

    def middleware(request):
        if request.method not in PAGE_METHODS and not request.path_info.startswith("/api/"):
            return HttpResponseNotAllowed(PAGE_METHODS)
        return get_response(request)

    return middleware


class GZipMiddleware(DjangoGZipMiddleware):
    """Pages cross the wire compressed (a week board is ~750 KB of HTML, ~60 KB gzipped).

    BREACH guesses a secret of a compressed page from the response sizes when the attacker's
    input is reflected beside it. What a page carries: the CSRF token, masked afresh on every
    response (Django), and Django pads each gzip body with a random length (its "Heal the
    Breach" mitigation). Staff pages never carry a customer's link or code (the outbox stores
    them masked). The pages that do carry one, the customer's page behind its token and the
    hand-off with the QR code, are marked @gzip_exempt and go uncompressed."""

    def process_response(self, request, response):
        # HTML pages only: the API's answers are pages of 50 rows, and its clients (scripts,
        # the schema checks) read them as sent.
        if getattr(response, "gzip_exempt", False) or not response.get(
            "Content-Type", ""
        ).startswith("text/html"):
            return response
        return super().process_response(request, response)


def gzip_exempt(view):
    """The view's pages carry a customer secret next to what a user typed: never compressed."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response.gzip_exempt = True
        return response

    return wrapped
