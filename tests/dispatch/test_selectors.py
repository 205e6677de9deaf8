"""dispatch.selectors.active_supervisors: the one query for "every supervisor" (issue 13), read
by the deadline sweep (R3), the visit alerts (R11, R17) and the SMS provider's refusals."""

import pytest
from django.contrib.auth.models import Group

from dispatch.roles import Role
from dispatch.selectors import active_supervisors
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_every_supervisor_still_at_work_once_and_nobody_else():
    first = make_user(Role.SUPERVISOR)
    # A supervisor who also works the desk is told once, not once per role.
    both = make_user(Role.SUPERVISOR)
    both.groups.add(Group.objects.get_or_create(name=Role.DISPATCHER)[0])
    make_user(Role.SUPERVISOR, is_active=False)
    make_user(Role.DISPATCHER)
    make_user(Role.ENGINEER)
    assert list(active_supervisors()) == [first, both]
