"""What may stop a ticket from closing, asked of the apps above dispatch without importing them.

dispatch is the bottom layer (docs/design.md#layers): it can't import visits to ask whether a visit
is still to happen. Instead it owns this registry; an app above registers a check in its
AppConfig.ready() (visits: a booked or running visit), and close_ticket asks every check under the
ticket's lock. A check takes the ticket and returns the sentences that block the close."""

from collections.abc import Callable

CloseCheck = Callable[[object], list[str]]

_checks: list[CloseCheck] = []


def register_close_check(check: CloseCheck) -> CloseCheck:
    if check not in _checks:
        _checks.append(check)
    return check


def close_blockers(ticket) -> list[str]:
    return [message for check in _checks for message in check(ticket)]
