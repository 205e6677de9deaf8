from django.utils.functional import SimpleLazyObject

from .roles import Role, roles_of
from .selectors import overdue_count


def navigation(request):
    """Role flags for the navigation, and the overdue badge (computed only if rendered)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    roles = roles_of(user)
    return {
        "is_dispatcher": Role.DISPATCHER in roles,
        "is_engineer": Role.ENGINEER in roles,
        "is_supervisor": Role.SUPERVISOR in roles,
        "is_desk": bool(roles & {Role.DISPATCHER, Role.SUPERVISOR}),
        "overdue_badge": SimpleLazyObject(lambda: overdue_count(user)),
    }
