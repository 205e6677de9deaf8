"""The API's error answers (issue 11): one shape, {"code", "detail"}, for every refusal, and a
schema that says what the server takes and answers."""

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user():
    def _as(user):
        api = APIClient()
        api.force_authenticate(user)
        return api

    return _as


def test_a_visit_out_of_scope_is_404_with_code_and_detail(as_user, engineer):
    response = as_user(engineer).get("/api/visits/999999/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found" and response.json()["detail"]


def test_invalid_input_names_the_field_and_every_message(as_user, dispatcher):
    response = as_user(dispatcher).post("/api/tickets/", {"kind": "nonsense"})
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["field"]) == ("invalid", "kind")
    assert body["detail"].startswith("kind: ")
    assert list(body["errors"]) == ["kind"]


def test_a_number_where_the_schema_says_text_is_400(as_user, dispatcher):
    response = as_user(dispatcher).post("/api/tickets/", {"kind": "solve", "customer_name": 12})
    assert response.status_code == 400
    assert response.json()["field"] == "customer_name"


def test_a_form_encoded_body_is_415(as_user, dispatcher):
    response = as_user(dispatcher).post("/api/tickets/", {"kind": "solve"}, format="multipart")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


@pytest.mark.parametrize("value", ["maybe", "5e-324", "1"])
def test_the_overdue_filter_takes_true_or_false_only(as_user, dispatcher, value):
    response = as_user(dispatcher).get("/api/tickets/", {"overdue": value})
    assert response.status_code == 400
    assert response.json()["field"] == "overdue"


def test_the_kit_report_takes_one_date_alone(as_user, supervisor):
    api = as_user(supervisor)
    assert api.get("/api/kit/report/", {"start": "2026-11-01"}).json()["end"] == "2026-11-28"
    assert api.get("/api/kit/report/", {"end": "2026-11-28"}).json()["start"] == "2026-11-01"


class TestTheSchema:
    @pytest.fixture
    def schema(self, as_user, dispatcher):
        response = as_user(dispatcher).get(
            "/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json"
        )
        return response.json()

    def test_every_operation_documents_its_refusals_with_code_and_detail(self, schema):
        error = "#/components/schemas/Error"
        assert schema["components"]["schemas"]["Error"]["required"] == ["code", "detail"]
        for path, item in schema["paths"].items():
            for method, operation in item.items():
                answers = operation["responses"]
                for status in ("401", "403", "429"):
                    ref = answers[status]["content"]["application/json"]["schema"]["$ref"]
                    assert ref == error, (method, path, status)
                if method == "post":
                    assert {"400", "409"} <= set(answers), (method, path)
                if "requestBody" in operation:
                    assert "415" in answers, (method, path)
                if "{" in path:
                    assert "404" in answers, (method, path)
        assert "Retry-After" in answers["429"]["headers"]
        assert "WWW-Authenticate" in answers["401"]["headers"]

    def test_approved_by_may_be_null(self, schema):
        violation = schema["components"]["schemas"]["Violation"]["properties"]
        assert violation["approved_by"]["nullable"] is True

    def test_text_that_refuses_blanks_says_min_length_1(self, schema):
        reason = schema["components"]["schemas"]["CancelRequest"]["properties"]["reason"]
        assert reason["minLength"] == 1

    def test_the_note_takes_json_or_a_photo_as_multipart(self, schema):
        body = schema["paths"]["/api/visits/{id}/note/"]["post"]["requestBody"]["content"]
        assert set(body) == {"application/json", "multipart/form-data"}


def test_an_api_path_no_route_matches_answers_json_and_a_page_path_html(client, settings):
    settings.DEBUG = False
    api = client.get("/api/kit/items/-5.75e-52/retire/")
    assert api.status_code == 404
    assert api.json() == {"code": "not_found", "detail": api.json()["detail"]}
    page = client.get("/no/such/page/")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")
