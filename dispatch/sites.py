"""The site's own address, for links that leave it: the survey link in the customer's SMS and
its QR code (R23). `SITE_URL` (settings, docs/operations.md) is the address customers reach
(https://dispatch.example.cn); without it, the address the request came to, and the local
server `make run` starts (which exports SITE_URL for its PORT) when there is no request."""

from django.conf import settings

LOCAL = "http://127.0.0.1:8000/"


def site_url(request=None) -> str:
    configured = getattr(settings, "SITE_URL", "")
    if configured:
        return configured.rstrip("/") + "/"
    if request is not None:
        return request.build_absolute_uri("/")
    return LOCAL


def absolute(path: str, request=None) -> str:
    return site_url(request).rstrip("/") + path
