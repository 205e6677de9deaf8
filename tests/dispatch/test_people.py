"""One rule for a person's name wherever staff see it (issue 13): dispatch.people.display_name.
A Chinese name reads family name first without a space, a Latin one given name first."""

import pytest

from dispatch.people import display_name
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("first", "last", "shown"),
    [
        ("芳", "王", "王芳"),
        ("Ann", "Lee", "Ann Lee"),
        (" Ann ", " Lee", "Ann Lee"),
        ("", "Lee", "Lee"),
        ("", "", "ann.lee"),
    ],
)
def test_a_name_as_staff_read_it(first, last, shown):
    person = make_user("dispatcher", username="ann.lee", first_name=first, last_name=last)
    assert display_name(person) == shown


def test_nobody_has_no_name():
    assert display_name(None) == ""
