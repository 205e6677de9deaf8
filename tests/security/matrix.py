"""Runs one request of the permission matrix: a role's client, a URL, a method; the answer's code
("L" for a redirect to the login page)."""

from http.cookies import SimpleCookie

from django.db import transaction
from django.test import Client

COLUMNS = ("anonymous", "dispatcher", "supervisor", "engineer", "other_engineer")
# Every method a route could be sent; the matrix states each route's answer to each of them.
METHODS = ("get", "post", "put", "patch", "delete")


class Clients:
    """One client per role, logged in once; every request starts from the saved session cookie
    (a POST to /logout/ must not log the next request out) and runs in a savepoint that is rolled
    back, so a POST that succeeds changes nothing for the next cell of the matrix."""

    def __init__(self, world):
        self._cookies = {"anonymous": ""}
        self._client = Client()
        for role in ("dispatcher", "supervisor", "engineer"):
            client = Client()
            client.force_login(getattr(world, role))
            self._cookies[role] = client.cookies.output(header="", sep=";")
        self._cookies["other_engineer"] = self._cookies["engineer"]

    def answer(self, column: str, method: str, url: str, data=None) -> str:
        client = self._client
        client.cookies = SimpleCookie(self._cookies[column])
        with transaction.atomic():
            if data is not None:
                response = getattr(client, method)(url, data, content_type="application/json")
            elif method != "get" and url.startswith("/api/"):
                # The API reads JSON only: an empty JSON body, as a program would send it.
                response = getattr(client, method)(url, content_type="application/json")
            else:
                response = getattr(client, method)(url)
            transaction.set_rollback(True)
        if response.status_code == 302 and response["Location"].startswith("/login/"):
            return "L"
        if response.status_code == 302 and response["Location"].startswith("/admin/login/"):
            return "A"
        return str(response.status_code)
