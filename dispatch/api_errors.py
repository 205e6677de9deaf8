"""DRF exception handler: a broken rule becomes {"code", "detail"} with 400/403/409 (STYLE 4)."""

from django.db import IntegrityError
from django.utils.translation import gettext as _
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import RuleViolation


def exception_handler(exc, context):
    if isinstance(exc, RuleViolation):
        body = {"code": exc.code, "detail": exc.message}
        if exc.field:
            body["field"] = exc.field
        return Response(body, status=exc.status)
    if isinstance(exc, IntegrityError):
        # A constraint caught what a concurrent request slipped past the service check.
        return Response(
            {
                "code": "conflict",
                "detail": _("This conflicts with a change made at the same time."),
            },
            status=409,
        )
    return drf_exception_handler(exc, context)
