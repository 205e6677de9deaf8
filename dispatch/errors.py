"""One domain error for every broken rule (docs/design.md#a-state-change).

Views turn it into a form error, the API into HTTP 400/409 with {"code", "detail"}.

A request can break several rules at once (a reason missing, the customer's agreement not
ticked, a time already taken): a service checks each of them with `Checks` and raises them
together, so the writer corrects everything in one go instead of one error per submit
(issue 15). The first broken rule gives the code, the status and the detail; `violations` holds
them all, each with its field.
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
        self.violations: list[RuleViolation] = [self]

    def __str__(self) -> str:
        return self.message

    @classmethod
    def together(cls, violations: list["RuleViolation"]) -> "RuleViolation":
        """Several broken rules as one error: the first one speaks for all (code, status,
        message, field); `violations` lists every one of them."""
        first = violations[0]
        error = cls(first.code, first.message, status=first.status, field=first.field)
        error.violations = list(violations)
        return error

    def by_field(self) -> dict[str, list[str]]:
        """{field or "non_field_errors": [messages]}, every violation once, in order."""
        out: dict[str, list[str]] = {}
        for violation in self.violations:
            messages = out.setdefault(violation.field or "non_field_errors", [])
            if violation.message not in messages:
                messages.append(violation.message)
        return out


class PermissionDenied(RuleViolation, DjangoPermissionDenied):
    """The actor may not do this (a service decides who acts). The API answers 403 with
    {"code", "detail"}; a page that lets it through answers Django's 403 page with the message."""

    def __init__(self, message: str, code: str = "forbidden"):
        super().__init__(code, message, status=403)


class Checks:
    """Collects the broken rules of one request so they are reported together:

        checks = Checks()
        with checks:
            require_reason(reason)
        with checks:
            require_agreement(agreed)
        checks.done()   # raises every violation caught above, as one RuleViolation

    Who may act is never collected: a PermissionDenied goes through at once, as the actor
    must learn nothing more about the object."""

    def __init__(self):
        self.found: list[RuleViolation] = []

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is None or not isinstance(exc, RuleViolation) or isinstance(exc, PermissionDenied):
            return False
        self.found.extend(exc.violations)
        return True

    def add(self, violation: RuleViolation) -> None:
        self.found.extend(violation.violations)

    def failed(self, *fields: str) -> bool:
        """Whether a check of one of these fields (or any, without fields) failed already."""
        return any(not fields or v.field in fields for v in self.found)

    def done(self) -> None:
        if self.found:
            raise RuleViolation.together(self.found)


def require_text(value, *, code: str, message: str, field: str) -> str:
    """The text without its surrounding blanks; refused (400, at its field) when nothing is left:
    a reason, a note, a summary the rule asks the writer to give. Every service that needs a
    written text asks here, so "   " is as empty everywhere as ""."""
    text = str(value or "").strip()
    if not text:
        raise RuleViolation(code, message, field=field)
    return text
