"""What the apps above dispatch say when a ticket's details are completed or corrected
(dispatch.services.update_ticket), asked without importing them, as dispatch.closing does for
a close.

dispatch is the bottom layer (docs/design.md#layers): it can't import visits to learn that a
visit was booked on the details being changed, nor to tell the customer. An app above registers
in its AppConfig.ready():

- a check: `check(ticket, changes) -> list[RuleViolation]`, asked under the ticket's lock
  before anything is written (visits: a pending visit keeps the facts and the contact it was
  booked on);
- an effect: `effect(ticket, before, after, actor) -> None`, called in the same transaction
  after the ticket is saved, with the changed fields' old and new values (visits: the customer
  of a booked visit is told the corrected details, the engineer is alerted).
"""

from collections.abc import Callable

Check = Callable[[object, dict], list]
Effect = Callable[[object, dict, dict, object], None]

_checks: list[Check] = []
_effects: list[Effect] = []


def register_correction_check(check: Check) -> Check:
    if check not in _checks:
        _checks.append(check)
    return check


def register_correction_effect(effect: Effect) -> Effect:
    if effect not in _effects:
        _effects.append(effect)
    return effect


def correction_violations(ticket, changes: dict) -> list:
    return [violation for check in _checks for violation in check(ticket, changes)]


def after_correction(ticket, before: dict, after: dict, actor) -> None:
    for effect in _effects:
        effect(ticket, before, after, actor)
