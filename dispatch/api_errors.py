"""DRF exception handler: every error answer is {"code", "detail"} (STYLE 4).

A broken rule gives its own code with 400/403/409. DRF's own errors keep their status and gain
a code: a malformed body is "parse_error", invalid fields are "invalid" with the first field's
message as the detail, its name in "field" and every field's messages in "errors".
"""

from django.db import IntegrityError
from django.utils.translation import gettext as _
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import RuleViolation


def form_errors(*forms) -> ValidationError:
    """Django forms' errors as DRF's, each message with its code (the answer's "code")."""
    return ValidationError(
        {
            field: [ErrorDetail(e["message"], code=e["code"] or "invalid") for e in errors]
            for form in forms
            for field, errors in form.errors.get_json_data().items()
        }
    )


def _first_error(errors, field=None):
    """The first message in DRF's nested errors, with the top-level field it belongs to."""
    if isinstance(errors, dict):
        for key, value in errors.items():
            return _first_error(value, field or (None if key == "non_field_errors" else key))
    if isinstance(errors, list) and errors:
        return _first_error(errors[0], field)
    return field, errors


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
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ValidationError):
        field, message = _first_error(exc.detail)
        body = {"code": getattr(message, "code", None) or "invalid", "detail": str(message)}
        if field:
            body["field"] = field
        body["errors"] = response.data
        response.data = body
    elif isinstance(response.data, dict) and "code" not in response.data:
        detail = response.data.get("detail")
        response.data = {"code": getattr(detail, "code", None) or exc.default_code, **response.data}
    return response
