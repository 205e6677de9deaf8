"""Transition maps: where each state of a stateful model may go next (docs/design.md#state-maps).

Every stateful model has one map, next to it in its model module (`Visit.states`,
`Ticket.states`, `Deadline.states`, `Notification.states`, `RescheduleRequest.states`,
`SurveyLink.states`). The services read it before they change a state, a single row with
`require_transition(obj, new)`, rows in bulk with `StateMap.update(queryset, new)`, so no path
writes a move the map forbids; the pages and the API read it to offer only what may come next.
"""

from collections.abc import Mapping

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .errors import RuleViolation

DEFAULT_REFUSAL = _("This can't go from “%(current)s” to “%(new)s”.")


class StateMap:
    """One model's states (a TextChoices) and the moves allowed from each.

    `field` names the model's state: a column, or for a state derived from timestamps (the
    survey link) a property; `update` then needs `rows`, a filter per state.
    """

    def __init__(
        self,
        moves: Mapping[str, frozenset[str]],
        *,
        field: str,
        choices: type[models.TextChoices],
        refusal: str | Promise = DEFAULT_REFUSAL,
        rows: Mapping[str, models.Q] | None = None,
    ):
        states = set(choices.values)
        if set(moves) != states:
            raise ValueError(f"{choices.__name__}: the map needs one row per state")
        for source, targets in moves.items():
            if not targets <= states:
                raise ValueError(f"{choices.__name__}: {source} leads to an unknown state")
        self.moves = {str(state): frozenset(map(str, targets)) for state, targets in moves.items()}
        self.field = field
        self.choices = choices
        self.refusal = refusal
        self.rows = rows

    def next(self, current: str) -> frozenset[str]:
        """Where `current` may go in one move."""
        return self.moves[current]

    def allows(self, current: str, new: str) -> bool:
        return new in self.moves[current]

    def is_final(self, current: str) -> bool:
        return not self.moves[current]

    def sources(self, new: str) -> frozenset[str]:
        """The states that may become `new` in one move."""
        return frozenset(state for state, targets in self.moves.items() if new in targets)

    def reachable(self, current: str) -> frozenset[str]:
        """Every state `current` may still come to, in any number of moves."""
        seen: set[str] = set()
        todo = list(self.moves[current])
        while todo:
            state = todo.pop()
            if state not in seen:
                seen.add(state)
                todo.extend(self.moves[state])
        return frozenset(seen)

    def state_of(self, obj) -> str:
        return getattr(obj, self.field)

    def label(self, state: str) -> str:
        return str(self.choices(state).label)

    def require(
        self, obj, new: str, message: str | None = None, code: str = "invalid_transition"
    ) -> None:
        """Refuse (409, a sentence) a move of `obj` to `new` that the map doesn't allow."""
        current = self.state_of(obj)
        if self.allows(current, new):
            return
        raise RuleViolation(
            code,
            message or str(self.refusal) % {"current": self.label(current), "new": self.label(new)},
            status=409,
        )

    def where_may_become(self, new: str) -> models.Q:
        """A filter of the rows whose state may become `new`."""
        sources = sorted(self.sources(new))
        if self.rows is None:
            return models.Q(**{f"{self.field}__in": sources})
        condition = models.Q(pk__in=[])
        for state in sources:
            condition |= self.rows[state]
        return condition

    def update(self, queryset: models.QuerySet, new: str, **fields) -> int:
        """Move the rows of `queryset` to `new` in one UPDATE; rows whose state may not become
        `new` are left as they are (the filter is taken under the same statement, so a row
        another transaction moved first is not moved twice)."""
        queryset = queryset.filter(self.where_may_become(new))
        if self.rows is None:
            fields[self.field] = new
        return queryset.update(**fields)


def require_transition(obj, new: str, message: str | None = None, **kwargs) -> None:
    """The one check of a service before it changes `obj`'s state: 409 with a sentence when the
    model's map (`type(obj).states`) doesn't allow it."""
    type(obj).states.require(obj, new, message, **kwargs)
