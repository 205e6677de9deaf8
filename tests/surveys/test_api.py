"""The survey API: issuing links, reading signed surveys. No API path writes a signature (R23)."""

import pytest

from surveys import services
from surveys.models import SurveyLink, SurveyResponse
from tests.surveys.factories import GOOD_ANSWERS, sms_to, strokes

pytestmark = pytest.mark.django_db


def signed_response(visit, engineer):
    token = services.issue_link(actor=engineer, visit=visit, channel="sms", base_url="x/").token
    return services.sign_survey(
        actor=None, token=token, answers=GOOD_ANSWERS, work_order_confirmed=True, strokes=strokes()
    )


class TestIssueLinkApi:
    def test_sms_link_never_returns_the_token(self, api, engineer, visit):
        api.force_authenticate(engineer)
        response = api.post("/api/survey-links/", {"visit": visit.pk, "channel": "sms"})
        assert response.status_code == 201
        assert response.data["url"] is None
        assert response.data["phone"] == "138****8000"
        token_url = sms_to("13800138000", "survey_link")[0].body
        assert "/survey/s/" in token_url
        assert "/survey/s/" not in str(response.data)

    def test_qr_link_returns_the_url_for_the_engineers_screen(self, api, engineer, visit):
        api.force_authenticate(engineer)
        response = api.post("/api/survey-links/", {"visit": visit.pk, "channel": "qr"})
        assert response.status_code == 201
        assert "/survey/s/" in response.data["url"]

    def test_rules_answer_with_code_and_detail(self, api, engineer, engineer2, dispatcher, visit):
        api.force_authenticate(engineer2)
        response = api.post("/api/survey-links/", {"visit": visit.pk, "channel": "sms"})
        assert response.status_code == 404
        api.force_authenticate(dispatcher)
        response = api.post("/api/survey-links/", {"visit": visit.pk, "channel": "qr"})
        assert response.status_code == 403
        assert response.data["code"] == "not_visit_engineer"
        signed_response(visit, engineer)
        api.force_authenticate(engineer)
        response = api.post("/api/survey-links/", {"visit": visit.pk, "channel": "sms"})
        assert response.status_code == 409
        assert response.data["code"] == "already_signed"

    def test_anonymous_is_refused(self, api, visit):
        response = api.post("/api/survey-links/", {"visit": visit.pk, "channel": "sms"})
        assert response.status_code in (401, 403)
        assert not SurveyLink.objects.exists()


class TestResponsesApi:
    def test_r23_no_write_path_for_a_signed_survey(self, api, engineer, supervisor, visit):
        response = signed_response(visit, engineer)
        for user in (engineer, supervisor):
            api.force_authenticate(user)
            url = f"/api/survey-responses/{response.pk}/"
            assert api.post("/api/survey-responses/", {"visit": visit.pk}).status_code == 405
            assert api.put(url, {"user_agent": "x"}).status_code == 405
            assert api.patch(url, {"user_agent": "x"}).status_code == 405
            assert api.delete(url).status_code == 405
        assert SurveyResponse.objects.get().verify()

    def test_r23_an_engineer_cannot_sign_through_the_api_with_a_token(self, api, engineer, visit):
        issued = services.issue_link(actor=engineer, visit=visit, channel="qr", base_url="x/")
        api.force_authenticate(engineer)
        data = {"token": issued.token, "answers": GOOD_ANSWERS, "strokes": strokes()}
        for url in ("/api/survey-responses/", "/api/survey-links/"):
            api.post(url, data, format="json")
        assert not SurveyResponse.objects.exists()
        assert SurveyLink.objects.get(pk=issued.link.pk).used_at is None

    def test_detail_says_whether_the_record_is_intact(self, api, engineer, visit):
        response = signed_response(visit, engineer)
        api.force_authenticate(engineer)
        data = api.get(f"/api/survey-responses/{response.pk}/").data
        assert data["verified"] is True
        assert data["digest"] == response.digest
        assert {a["code"] for a in data["answers"]} >= {"punctuality", "resolved"}

    def test_engineers_see_only_their_own(self, api, engineer, engineer2, dispatcher, visit):
        signed_response(visit, engineer)
        api.force_authenticate(engineer2)
        assert api.get("/api/survey-responses/").data["count"] == 0
        api.force_authenticate(dispatcher)
        assert api.get("/api/survey-responses/").data["count"] == 1

    def test_questions_list(self, api, engineer):
        api.force_authenticate(engineer)
        data = api.get("/api/survey-questions/").data
        assert [q["code"] for q in data][:2] == ["punctuality", "manner"]


class TestAdmin:
    def test_signed_survey_is_read_only_in_the_admin(self, client, engineer, visit):
        from django.contrib.auth import get_user_model

        response = signed_response(visit, engineer)
        admin = get_user_model().objects.create_superuser("root", "r@example.cn", "pw-12345")
        client.force_login(admin)
        url = f"/admin/surveys/surveyresponse/{response.pk}/change/"
        page = client.get(url)
        assert page.status_code == 200
        assert 'name="user_agent"' not in page.content.decode()
        assert client.post(url, {"user_agent": "forged"}).status_code == 403
        delete = f"/admin/surveys/surveyresponse/{response.pk}/delete/"
        assert client.post(delete, {"post": "yes"}).status_code == 403
        assert SurveyResponse.objects.get().verify()


def test_the_schema_documents_the_survey_endpoints(client, dispatcher):
    client.force_login(dispatcher)
    schema = client.get("/api/schema/", {"format": "json"}).json()
    assert "/api/survey-links/" in schema["paths"]
    assert "/api/survey-responses/{id}/" in schema["paths"]
    # R23: read-only; no method writes a signed survey.
    assert set(schema["paths"]["/api/survey-responses/{id}/"]) == {"get"}
