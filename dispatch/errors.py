"""One domain error for every broken rule (docs/design.md#a-state-change).

Views turn it into a form error, the API into HTTP 400/409 with {"code", "detail"}.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied


class RuleViolation(Exception):
    """A request that a service rule refuses.

    `status` is 400 when the input itself is wrong (missing facts, bad time) and 409 when the
    input is fine but the current state forbids it (a clash, a second transfer).
    """

    def __init__(self, code: str, message: str, *, status: int = 400, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = str(message)
        self.status = status
        self.field = field

    def __str__(self) -> str:
        return self.message


class PermissionDenied(RuleViolation, DjangoPermissionDenied):
    """The actor may not do this (a service decides who acts). The API answers 403 with
    {"code", "detail"}; a page that lets it through answers Django's 403 page with the message."""

    def __init__(self, message: str, code: str = "forbidden"):
        super().__init__(code, message, status=403)
