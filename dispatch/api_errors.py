"""The API's one error shape: every 4xx answer is {"code", "detail"}
(docs/design.md#a-state-change).

A broken rule (RuleViolation) answers 400/403/409 with its own code; DRF's own refusals keep
their status and headers (401 with WWW-Authenticate, 429 with Retry-After) and get the same
shape, with the invalid fields of a 400 under "errors". dispatch.api_schema documents it.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import IntegrityError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views.defaults import page_not_found
from rest_framework import exceptions, serializers
from rest_framework.exceptions import ErrorDetail
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import RuleViolation


def form_errors(*forms) -> exceptions.ValidationError:
    """Django forms' errors as DRF's, each message with its code."""
    return exceptions.ValidationError(
        {
            field: [ErrorDetail(e["message"], code=e["code"] or "invalid") for e in errors]
            for form in forms
            for field, errors in form.errors.get_json_data().items()
        }
    )


def validate_all(serializer, check) -> dict:
    """Validate a request body, and say everything wrong with it at once (issue 15).

    When the serializer finds errors, `check(readable)` (a service's checks without writing) is
    called with the fields it could read, and its broken rules join the serializer's, each
    under its field, in one 400. A refusal of who acts (403) or of the state (409) answers as
    itself. Returns the validated data when the body is valid."""
    if serializer.is_valid():
        return serializer.validated_data
    errors = dict(serializer.errors)
    data = serializer.initial_data
    if isinstance(data, dict):
        readable = {
            name: value
            for name, value in data.items()
            if name in serializer.fields and name not in errors
        }
        try:
            check(readable)
        except RuleViolation as exc:
            if exc.status != 400:
                raise
            for field, messages in exc.by_field().items():
                errors.setdefault(field, [ErrorDetail(m, code=exc.code) for m in messages])
    raise exceptions.ValidationError(errors)


def _builtin_codes() -> frozenset[str]:
    """The codes of DRF's and Django's own field checks (required, blank, max_length …): input
    the schema already describes. They all answer "invalid"; a code of ours (a domain check such
    as "date_out_of_range") is passed on, as a program may act on it."""
    from django import forms

    codes = {"invalid", "required", "null", "blank", "unique", "parse_error"}
    stack = [serializers.Field, forms.Field]
    while stack:
        cls = stack.pop()
        codes.update(getattr(cls, "default_error_messages", {}))
        stack.extend(cls.__subclasses__())
    return frozenset(codes)


BUILTIN_CODES = None


def _first_code(detail) -> str:
    global BUILTIN_CODES
    if BUILTIN_CODES is None:
        BUILTIN_CODES = _builtin_codes()
    while isinstance(detail, dict | list) and detail:
        detail = next(iter(detail.values())) if isinstance(detail, dict) else detail[0]
    code = getattr(detail, "code", None)
    return code if code and code not in BUILTIN_CODES else "invalid"


class ErrorSerializer(serializers.Serializer):
    """The body of every error answer of the API."""

    code = serializers.CharField(help_text="What went wrong, for programs: a stable word.")
    detail = serializers.CharField(help_text="What went wrong, in a sentence for people.")
    field = serializers.CharField(
        required=False, help_text="The input field the error is about, when there is one."
    )
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Invalid input: the messages per field ('non_field_errors' for the whole).",
    )


def flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested validation messages as {"field.sub.0": [messages]}."""
    if isinstance(detail, dict):
        out = {}
        for key, value in detail.items():
            out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(detail, list) and detail and all(isinstance(d, str) for d in detail):
        return {prefix or "non_field_errors": [str(d) for d in detail]}
    if isinstance(detail, list):
        out = {}
        for index, value in enumerate(detail):
            out.update(flatten(value, f"{prefix}.{index}" if prefix else str(index)))
        return out
    return {prefix or "non_field_errors": [str(detail)]}


def _validation_body(exc: exceptions.ValidationError) -> dict:
    errors = {field: messages for field, messages in flatten(exc.detail).items() if messages}
    if not errors:
        return {"code": "invalid", "detail": _("The request is not valid.")}
    field, messages = next(iter(errors.items()))
    body = {"code": _first_code(exc.detail), "detail": messages[0], "errors": errors}
    if field != "non_field_errors":
        body["detail"] = f"{field}: {messages[0]}"
        body["field"] = field
    return body


def exception_handler(exc, context):
    if isinstance(exc, RuleViolation):
        body = {"code": exc.code, "detail": exc.message}
        if exc.field:
            body["field"] = exc.field
        # A refusal with several problems (every wrong line of an imported log) lists them all.
        if getattr(exc, "lines", None):
            body["errors"] = {exc.field or "non_field_errors": list(exc.lines)}
        elif len(exc.violations) > 1:
            # Several broken rules at once (dispatch.errors.Checks): every message per field.
            body["errors"] = exc.by_field()
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
    # DRF turns these two into its own exceptions inside its handler; turn them first, so the
    # body below is built from the exception that answers.
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = _validation_body(exc)
    elif isinstance(exc, exceptions.APIException):
        code = exc.get_codes()
        response.data = {
            "code": code if isinstance(code, str) else exc.default_code,
            "detail": str(exc.detail),
        }
    return response


def not_found(request, exception=None):
    """Django's 404 for a path no route matches. Under /api/ it answers the API's one error
    shape in JSON, as the schema says every 404 does; elsewhere the HTML page."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"code": "not_found", "detail": _("There is nothing at this address.")}, status=404
        )
    return page_not_found(request, exception)
