"""Login, logout and login rate limiting."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from dispatch.roles import Role, RoleModelBackend, has_role

pytestmark = pytest.mark.django_db


def test_login_lands_on_the_role_home(client, dispatcher):
    response = client.post("/login/", {"username": dispatcher.username, "password": "pw-12345"})
    assert response.status_code == 302
    assert client.get(response.url).status_code == 200


@pytest.mark.parametrize(
    ("roles", "home"),
    [
        (["supervisor"], "/supervisor/"),
        (["supervisor", "engineer"], "/supervisor/"),
        (["engineer"], "/visits/today/"),
        # A dispatcher who also goes on site starts at the desk.
        (["dispatcher", "engineer"], None),
        (["dispatcher"], None),
    ],
)
def test_each_role_starts_on_its_own_page(client, roles, home):
    """/ sends a supervisor to the dashboard, an engineer to today's visits, the desk to its
    own tickets (settings.HOME_PAGES)."""
    from django.contrib.auth.models import Group

    from tests.factories import make_user

    user = make_user(roles[0])
    user.groups.add(*Group.objects.filter(name__in=roles[1:]))
    client.force_login(user)
    response = client.get("/")
    if home is None:
        assert response.status_code == 200
        assert response.templates[0].name == "dispatch/home.html"
    else:
        assert response.status_code == 302
        assert response.url == home
        assert client.get(home).status_code == 200


def test_wrong_password_shows_a_form_error(client, dispatcher):
    response = client.post("/login/", {"username": dispatcher.username, "password": "nope"})
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()


def test_login_is_rate_limited_after_five_failures(client, dispatcher):
    for _ in range(5):
        client.post("/login/", {"username": dispatcher.username, "password": "wrong"})
    # Even the right password is refused while locked out.
    response = client.post("/login/", {"username": dispatcher.username, "password": "pw-12345"})
    assert response.status_code == 429
    assert "尝试次数过多" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_lockout_says_for_how_long_and_until_when(client, dispatcher, settings):
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    at = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(at, tick=False):
        for _ in range(6):
            response = client.post(
                "/login/", {"username": dispatcher.username, "password": "wrong"}
            )
    assert response.status_code == 429
    assert "请在 15 分钟后（09:15 之后）再试" in response.content.decode()


def test_logout_needs_post(client, dispatcher):
    client.force_login(dispatcher)
    assert client.get("/logout/").status_code == 405
    assert client.post("/logout/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_signed_in_user_comes_with_their_roles_in_one_query(
    dispatcher, django_assert_num_queries
):
    with django_assert_num_queries(1):
        user = RoleModelBackend().get_user(dispatcher.pk)
        assert has_role(user, Role.DISPATCHER)
        assert not has_role(user, Role.SUPERVISOR, Role.ENGINEER)


def test_a_revoked_role_counts_from_the_next_request(client, dispatcher):
    client.force_login(dispatcher)
    assert client.get("/tickets/").status_code == 200
    dispatcher.groups.clear()  # the desk role is taken away
    assert client.get("/tickets/").status_code == 403
