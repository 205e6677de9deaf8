"""Role checks for views and API endpoints. Object checks live in selectors (scoped querysets)
and services (who may act)."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from .roles import Role, has_role


def role_required(*roles: Role):
    """Login, then one of the roles, else 403."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not has_role(request.user, *roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class HasRole(BasePermission):
    """DRF: the view lists `allowed_roles`; a user needs one of them."""

    def has_permission(self, request, view):
        roles = getattr(view, "allowed_roles", ())
        return bool(
            request.user and request.user.is_authenticated and has_role(request.user, *roles)
        )


class IsStaffMember(BasePermission):
    """DRF: any of the three roles; the API's schema and docs page (settings.SPECTACULAR_SETTINGS).

    Engineers too: their phones call the API (the kit ticks, the field steps), the schema holds
    no data, only the shape of calls whose answers the services and selectors scope anyway."""

    def has_permission(self, request, view):
        return has_role(request.user, *Role)


DESK = (Role.DISPATCHER, Role.SUPERVISOR)
