"""Issue 15, item 6: the 400, 403, CSRF, 404 and 500 pages are in the product's look and the
active language (zh-Hans first, English second), served as such with DEBUG off; the 500 page
renders without a request or the database."""

import pytest
from django.template import loader
from django.test import Client
from django.utils import translation

from tests.html import RULE_ID, english_words, visible_text

pytestmark = pytest.mark.django_db

HEADINGS = {
    "400": ("请求无法处理", "The request could not be read"),
    "403": ("无权操作", "Not yours to do"),
    "403_csrf": ("表单已过期", "The form has expired"),
    "404": ("页面不存在", "Page not found"),
    "500": ("系统出错了", "Something went wrong on our side"),
}


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.ROOT_URLCONF = "tests.error_urls"


def assert_chinese_page(html: str, heading: str) -> None:
    text = visible_text(html)
    assert heading in text
    assert not english_words(text), english_words(text)
    assert not RULE_ID.search(text)
    assert 'href="/static/css/app.css"' in html  # the product's look
    assert '<html lang="zh-Hans">' in html


@pytest.mark.parametrize("name", sorted(HEADINGS))
def test_every_error_page_reads_in_the_active_language(name):
    chinese, english = HEADINGS[name]
    with translation.override("zh-hans"):
        assert_chinese_page(loader.get_template(f"{name}.html").render(), chinese)
    with translation.override("en"):
        html = loader.get_template(f"{name}.html").render()
    assert english in html and chinese not in html


def test_the_500_page_needs_no_request_and_no_database(django_assert_num_queries):
    with translation.override("zh-hans"), django_assert_num_queries(0):
        html = loader.get_template("500.html").render()
    assert "系统出错了" in html
    assert 'action="/i18n/setlang/"' not in html  # no language switch without a CSRF token


class TestServedWithDebugOff:
    def test_404(self, production, client):
        response = client.get("/no-such-page/")
        assert response.status_code == 404
        assert_chinese_page(response.content.decode(), "页面不存在")

    def test_404_in_english_for_an_english_user(self, production, client):
        client.cookies["django_language"] = "en"
        response = client.get("/no-such-page/")
        assert response.status_code == 404
        assert "Page not found" in response.content.decode()

    def test_404_under_the_api_stays_json(self, production, client):
        response = client.get("/api/no-such-thing/")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"

    def test_500(self, production):
        client = Client(raise_request_exception=False)
        response = client.get("/test-fails/")
        assert response.status_code == 500
        assert_chinese_page(response.content.decode(), "系统出错了")

    def test_400(self, production, client):
        response = client.get("/test-suspicious/")
        assert response.status_code == 400
        assert_chinese_page(response.content.decode(), "请求无法处理")

    def test_403_says_the_refusal_in_words(self, production, login, engineer):
        response = login(engineer).get("/outbox/")
        assert response.status_code == 403
        html = response.content.decode()
        assert_chinese_page(html, "无权操作")
        assert 'class="top"' in html  # the signed-in header, as on every page

    def test_csrf_failure(self, production, dispatcher):
        client = Client(enforce_csrf_checks=True)
        client.force_login(dispatcher)
        response = client.post("/logout/")
        assert response.status_code == 403
        assert_chinese_page(response.content.decode(), "表单已过期")
