"""The survey-question admin saves through surveys.services.save_question (issue 11): an
answered item keeps its code and kind there too (R25), and only a supervisor edits."""

import pytest
from django.contrib.auth.models import Group

from surveys.models import Question
from tests.factories import make_user
from tests.surveys.test_api import signed_response

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_supervisor(db):
    return make_user("supervisor", username="admin_supervisor", is_staff=True, is_superuser=True)


def change_url(question) -> str:
    return f"/admin/surveys/question/{question.pk}/change/"


def form_of(question, **changes) -> dict:
    data = {
        "text": question.text,
        "text_en": question.text_en,
        "kind": question.kind,
        "code": question.code,
        "importance": question.importance,
        "position": question.position,
        "required": "on" if question.required else "",
        "active": "on" if question.active else "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def test_an_answered_items_code_and_kind_cant_change_in_the_admin(
    client, staff_supervisor, engineer, visit
):
    signed_response(visit, engineer)
    question = Question.objects.filter(answers__isnull=False).first()
    client.force_login(staff_supervisor)
    page = client.get(change_url(question)).content.decode()
    assert 'name="code"' not in page and 'name="kind"' not in page
    other_kind = "text" if question.kind != "text" else "rating"
    response = client.post(
        change_url(question), form_of(question, code="renamed", kind=other_kind, importance=5)
    )
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.code != "renamed" and question.kind != other_kind
    assert question.importance == 5  # what may change, did


def test_an_unanswered_item_is_edited_through_the_service(client, staff_supervisor):
    question = Question.objects.filter(answers__isnull=True).first()
    client.force_login(staff_supervisor)
    assert 'name="code"' in client.get(change_url(question)).content.decode()
    response = client.post(change_url(question), form_of(question, code="fresh_code"))
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.code == "fresh_code"


def test_staff_without_the_supervisor_role_cant_edit_questions(client, staff_supervisor):
    staff_supervisor.groups.set([Group.objects.get(name="dispatcher")])
    question = Question.objects.first()
    client.force_login(staff_supervisor)
    response = client.post(change_url(question), form_of(question, importance=1))
    assert response.status_code == 403
    assert (
        client.post("/admin/surveys/question/add/", form_of(question, code="x")).status_code == 403
    )
