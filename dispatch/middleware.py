"""Project-wide request guards."""

from django.http import HttpResponseNotAllowed

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
