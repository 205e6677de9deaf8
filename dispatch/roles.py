"""The three staff roles, as Django groups created by a data migration.

Customers have no account: they act through signed one-time links (surveys app).
"""

from enum import StrEnum

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Exists, OuterRef
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


class RoleModelBackend(ModelBackend):
    """Django's model backend, loading the signed-in user's roles with the user: every request
    checks them, so one query instead of two (the dashboard's query budget, make bench)."""

    def get_user(self, user_id):
        model = get_user_model()
        member = model.groups.through.objects.filter(user=OuterRef("pk"))
        flags = {f"has_role_{role}": Exists(member.filter(group__name=role)) for role in Role}
        try:
            user = model._default_manager.annotate(**flags).get(pk=user_id)
        except model.DoesNotExist:
            return None
        user._seed_roles = frozenset(
            role.value for role in Role if getattr(user, f"has_role_{role}")
        )
        return user if self.user_can_authenticate(user) else None


def has_role(user, *roles: Role) -> bool:
    return bool(roles_of(user) & {str(r) for r in roles})


def is_staff_member(user) -> bool:
    """Dispatchers and supervisors work the centre's desk; engineers work in the field."""
    return has_role(user, Role.DISPATCHER, Role.SUPERVISOR)
