"""The project's URLs plus two views that fail, for the error pages' tests
(tests/test_error_pages.py)."""

from django.core.exceptions import SuspiciousOperation
from django.urls import path

from config.urls import handler404
from config.urls import urlpatterns as project_urls

__all__ = ["handler404", "urlpatterns"]


def fails(request):
    raise RuntimeError("a bug")


def suspicious(request):
    raise SuspiciousOperation("a malformed request")


urlpatterns = [path("test-fails/", fails), path("test-suspicious/", suspicious), *project_urls]
