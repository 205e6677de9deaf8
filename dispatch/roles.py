"""The three staff roles, as Django groups created by a data migration.

Customers have no account: they act through signed one-time links (surveys app).
"""

from enum import StrEnum

from django.contrib.auth.models import AnonymousUser, User
from django.utils.translation import gettext_lazy as _


class Role(StrEnum):
    DISPATCHER = "dispatcher"
    ENGINEER = "engineer"
    SUPERVISOR = "supervisor"


ROLE_LABELS = {
    Role.DISPATCHER: _("Dispatcher"),
    Role.ENGINEER: _("Engineer"),
    Role.SUPERVISOR: _("Supervisor"),
}


def roles_of(user: User | AnonymousUser) -> frozenset[str]:
    """The user's role names, cached on the user object for the request."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_seed_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._seed_roles = cached
    return cached


def has_role(user, *roles: Role) -> bool:
    return bool(roles_of(user) & {str(r) for r in roles})


def is_staff_member(user) -> bool:
    """Dispatchers and supervisors work the centre's desk; engineers work in the field."""
    return has_role(user, Role.DISPATCHER, Role.SUPERVISOR)
