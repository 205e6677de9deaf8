"""Step 5, leaving (R21): R24 "resolved" needs an after-fix test; leaving needs the signed survey
and work order or a recorded reason, and the commitment card; R17 the complaint question is
asked on the way out and a complaint stays on the supervisor's dashboard until the follow-up.
Every path: service, HTML form, API."""

import pytest

from dispatch.errors import PermissionDenied, RuleViolation
from dispatch.models import Event, Notification
from surveys import services as survey_services
from tests.visits.conftest import at
from tests.visits.factories import at_work, measured
from visits import services
from visits.models import NoSurveyReason, VisitStatus
from visits.steps import steps

pytestmark = pytest.mark.django_db


def resolved(visit):
    measured(at_work(visit))
    measured(visit, phase="after", rsrp_dbm="-90", sinr_db="12", call_result="ok")
    return services.record_outcome(
        actor=visit.engineer, visit=visit, resolved=True, summary="调整天线后信号恢复"
    )


def ready_to_leave(visit):
    resolved(visit)
    services.record_no_survey(actor=visit.engineer, visit=visit, reason=NoSurveyReason.REFUSED)
    survey_services.hand_over_card(actor=visit.engineer, visit=visit)
    visit.refresh_from_db()
    return visit


def leave_step(visit):
    visit.refresh_from_db()
    return steps(visit)[4]


class TestAfterFixTest:
    def test_r24_resolved_is_refused_without_an_after_fix_test(self, clock, visit):
        measured(at_work(visit))  # a "before" test only
        with pytest.raises(RuleViolation) as exc:
            services.record_outcome(
                actor=visit.engineer, visit=visit, resolved=True, summary="调整天线"
            )
        assert exc.value.code == "after_fix_test_required"
        visit.refresh_from_db()
        assert visit.status == VisitStatus.AT_WORK

    def test_r24_resolved_with_the_customer_trying_the_service(self, clock, visit):
        measured(at_work(visit))
        services.record_outcome(
            actor=visit.engineer,
            visit=visit,
            resolved=True,
            summary="调整天线",
            customer_tried=True,
        )
        visit.refresh_from_db()
        assert (visit.status, visit.customer_tried) == (VisitStatus.RESOLVED, True)

    def test_r24_resolved_with_an_after_fix_measurement(self, clock, visit):
        resolved(visit)
        visit.refresh_from_db()
        assert visit.status == VisitStatus.RESOLVED

    def test_r24_unresolved_needs_no_after_fix_test(self, clock, visit):
        measured(at_work(visit))
        services.record_outcome(
            actor=visit.engineer,
            visit=visit,
            resolved=False,
            summary="需优化基站参数",
            promised_reply_at=at(11, 0),
        )
        visit.refresh_from_db()
        assert visit.status == VisitStatus.UNRESOLVED

    def test_r24_html_form_shows_the_refusal_next_to_the_tick(self, clock, visit, login):
        measured(at_work(visit))
        client = login(visit.engineer)
        response = client.post(
            f"/visits/{visit.pk}/outcome/", {"resolved": "yes", "summary": "调整天线"}
        )
        assert response.status_code == 400
        assert response.context["outcome_form"].errors["customer_tried"]
        response = client.post(
            f"/visits/{visit.pk}/outcome/",
            {"resolved": "yes", "summary": "调整天线", "customer_tried": "on"},
        )
        assert response.status_code == 302
        visit.refresh_from_db()
        assert visit.status == VisitStatus.RESOLVED

    def test_r24_api_outcome_needs_the_after_fix_test(self, clock, visit, api):
        measured(at_work(visit))
        api.force_authenticate(visit.engineer)
        body = {"resolved": True, "summary": "调整天线"}
        response = api.post(f"/api/visits/{visit.pk}/outcome/", body, format="json")
        assert response.status_code == 400
        assert response.json()["code"] == "after_fix_test_required"
        response = api.post(
            f"/api/visits/{visit.pk}/outcome/", {**body, "customer_tried": True}, format="json"
        )
        assert response.status_code == 200
        assert response.json()["customer_tried"] is True


class TestLeaving:
    def test_r21_step_5_is_not_done_on_a_result_alone(self, clock, visit):
        resolved(visit)
        assert leave_step(visit).state == "current"

    def test_r24_leaving_needs_the_survey_or_a_reason(self, clock, visit):
        resolved(visit)
        with pytest.raises(RuleViolation) as exc:
            services.leave_visit(actor=visit.engineer, visit=visit, complained=False)
        assert exc.value.code == "survey_missing"

    def test_r24_the_card_needs_the_survey_or_a_reason_and_leaving_needs_the_card(
        self, clock, visit
    ):
        resolved(visit)
        with pytest.raises(RuleViolation) as exc:
            survey_services.hand_over_card(actor=visit.engineer, visit=visit)
        assert exc.value.code == "not_signed"
        services.record_no_survey(
            actor=visit.engineer, visit=visit, reason=NoSurveyReason.NOBODY_HOME
        )
        with pytest.raises(RuleViolation) as exc:
            services.leave_visit(actor=visit.engineer, visit=visit, complained=False)
        assert exc.value.code == "card_missing"
        survey_services.hand_over_card(actor=visit.engineer, visit=visit)
        services.leave_visit(actor=visit.engineer, visit=visit, complained=False)
        assert leave_step(visit).state == "done"
        left = Event.objects.get(visit=visit, kind="visit.left")
        assert left.after["complained"] is False
        assert left.after["no_survey_reason"] == "nobody_home"

    def test_r17_the_complaint_question_must_be_answered(self, clock, visit):
        ready_to_leave(visit)
        with pytest.raises(RuleViolation) as exc:
            services.leave_visit(actor=visit.engineer, visit=visit, complained=None)
        assert exc.value.field == "complained"
        with pytest.raises(RuleViolation) as exc:
            services.leave_visit(actor=visit.engineer, visit=visit, complained=True)
        assert exc.value.field == "complaint_note"
        visit.refresh_from_db()
        assert visit.left_at is None

    def test_r17_a_complaint_at_leaving_reaches_the_supervisor(self, clock, visit, supervisor):
        ready_to_leave(visit)
        services.leave_visit(
            actor=visit.engineer, visit=visit, complained=True, complaint_note="工程师迟到"
        )
        visit.refresh_from_db()
        assert (visit.complaint_on_site, visit.complaint_note) == (True, "工程师迟到")
        assert Notification.objects.filter(recipient=supervisor, ticket=visit.ticket).exists()
        with pytest.raises(RuleViolation) as exc:
            services.leave_visit(actor=visit.engineer, visit=visit, complained=False)
        assert exc.value.code == "already_left"

    def test_r24_a_reason_is_refused_once_signed_or_before_the_result(self, clock, visit):
        measured(at_work(visit))
        with pytest.raises(RuleViolation) as exc:
            services.record_no_survey(
                actor=visit.engineer, visit=visit, reason=NoSurveyReason.REFUSED
            )
        assert exc.value.code == "work_not_finished"

    def test_only_the_visits_engineer_leaves(self, clock, visit, engineer2):
        ready_to_leave(visit)
        with pytest.raises(PermissionDenied):
            services.leave_visit(actor=engineer2, visit=visit, complained=False)

    def test_r21_html_leave_form(self, clock, visit, login):
        resolved(visit)
        client = login(visit.engineer)
        page = client.get(f"/visits/{visit.pk}/")
        assert 'id="leave"' in page.content.decode()
        response = client.post(f"/visits/{visit.pk}/leave/", {"complained": "no"})
        assert response.status_code == 400
        assert "survey" in str(response.context["leave_form"].non_field_errors()).lower() or (
            response.context["leave_form"].errors
        )
        response = client.post(f"/visits/{visit.pk}/no-survey/", {"reason": "refused"})
        assert response.status_code == 302
        survey_services.hand_over_card(actor=visit.engineer, visit=visit)
        response = client.post(f"/visits/{visit.pk}/leave/", {"complained": "yes"})
        assert response.status_code == 400
        assert response.context["leave_form"].errors["complaint_note"]
        response = client.post(
            f"/visits/{visit.pk}/leave/", {"complained": "yes", "complaint_note": "态度差"}
        )
        assert response.status_code == 302
        visit.refresh_from_db()
        assert visit.left_at is not None and visit.complaint_note == "态度差"

    def test_r21_api_no_survey_and_leave(self, clock, visit, api):
        resolved(visit)
        api.force_authenticate(visit.engineer)
        response = api.post(f"/api/visits/{visit.pk}/leave/", {"complained": False}, format="json")
        assert (response.status_code, response.json()["code"]) == (409, "survey_missing")
        response = api.post(
            f"/api/visits/{visit.pk}/no-survey/", {"reason": "refused"}, format="json"
        )
        assert response.status_code == 200
        assert response.json()["no_survey_reason"] == "refused"
        survey_services.hand_over_card(actor=visit.engineer, visit=visit)
        response = api.post(f"/api/visits/{visit.pk}/leave/", {"complained": None}, format="json")
        assert (response.status_code, response.json()["code"]) == (
            400,
            "complaint_answer_required",
        )
        response = api.post(f"/api/visits/{visit.pk}/leave/", {"complained": False}, format="json")
        assert response.status_code == 200
        assert response.json()["left_at"] is not None


class TestHandbookBySetting:
    """R18/R24: the FAQ handbook stands in for the commitment card only where the centre allows
    it (SEED_RULES["FAQ_HANDBOOK_ALLOWED"]): checked at the card handover and when leaving."""

    @pytest.fixture
    def no_handbook(self, settings):
        def _off():
            settings.SEED_RULES = {**settings.SEED_RULES, "FAQ_HANDBOOK_ALLOWED": False}

        return _off

    def with_reason(self, visit):
        resolved(visit)
        services.record_no_survey(actor=visit.engineer, visit=visit, reason=NoSurveyReason.REFUSED)
        return visit

    def test_r24_where_allowed_the_handbook_stands_in_for_the_card(self, clock, visit):
        self.with_reason(visit)
        survey_services.hand_over_card(actor=visit.engineer, visit=visit, item="faq")
        services.leave_visit(actor=visit.engineer, visit=visit, complained=False)
        assert leave_step(visit).state == "done"

    def test_r18_r24_not_allowed_the_handbook_is_refused_at_the_handover(
        self, clock, visit, no_handbook
    ):
        self.with_reason(visit)
        no_handbook()
        with pytest.raises(RuleViolation) as exc:
            survey_services.hand_over_card(actor=visit.engineer, visit=visit, item="faq")
        assert (exc.value.code, exc.value.field) == ("handbook_not_allowed", "item")
        survey_services.hand_over_card(actor=visit.engineer, visit=visit, item="card")
        services.leave_visit(actor=visit.engineer, visit=visit, complained=False)

    def test_r18_r24_leaving_checks_the_handbook_against_the_setting(
        self, clock, visit, no_handbook
    ):
        """A handbook handed over while allowed, the setting withdrawn before leaving: the
        engineer leaves only once the card is handed over instead."""
        self.with_reason(visit)
        survey_services.hand_over_card(actor=visit.engineer, visit=visit, item="faq")
        no_handbook()
        with pytest.raises(RuleViolation) as exc:
            services.leave_visit(actor=visit.engineer, visit=visit, complained=False)
        assert (exc.value.code, exc.value.status) == ("handbook_not_allowed", 409)
        visit.refresh_from_db()
        assert visit.left_at is None and leave_step(visit).state == "current"
        survey_services.hand_over_card(actor=visit.engineer, visit=visit, item="card")
        services.leave_visit(actor=visit.engineer, visit=visit, complained=False)
        assert leave_step(visit).state == "done"

    def test_r18_r24_the_pages_offer_and_accept_the_handbook_only_by_setting(
        self, clock, visit, no_handbook, login
    ):
        self.with_reason(visit)
        client = login(visit.engineer)
        assert 'value="faq"' in client.get(f"/survey/visit/{visit.pk}/").content.decode()
        no_handbook()
        page = client.get(f"/survey/visit/{visit.pk}/").content.decode()
        assert 'value="faq"' not in page and 'value="card"' in page
        response = client.post(f"/survey/visit/{visit.pk}/card/", {"item": "faq"})
        assert response.status_code == 400
        assert not hasattr(type(visit).objects.get(pk=visit.pk), "card_handover")
        # Recorded while allowed, withdrawn since: the leave form refuses, the card replaces it.
        from surveys.models import CardHandover

        CardHandover.objects.create(
            visit=visit, item="faq", handed_by=visit.engineer, handed_at=at(9, 0)
        )
        response = client.post(f"/visits/{visit.pk}/leave/", {"complained": "no"})
        assert response.status_code == 400
        assert "FAQ" in str(response.context["leave_form"].non_field_errors())
        response = client.post(f"/survey/visit/{visit.pk}/card/", {"item": "card"})
        assert response.status_code == 302
        response = client.post(f"/visits/{visit.pk}/leave/", {"complained": "no"})
        assert response.status_code == 302

    def test_r18_r24_the_api_leave_refuses_a_handbook_not_allowed(
        self, clock, visit, no_handbook, api
    ):
        self.with_reason(visit)
        survey_services.hand_over_card(actor=visit.engineer, visit=visit, item="faq")
        no_handbook()
        api.force_authenticate(visit.engineer)
        response = api.post(f"/api/visits/{visit.pk}/leave/", {"complained": False}, format="json")
        assert (response.status_code, response.json()["code"]) == (409, "handbook_not_allowed")


class TestComplaintFollowUp:
    def complained(self, visit):
        ready_to_leave(visit)
        services.leave_visit(
            actor=visit.engineer, visit=visit, complained=True, complaint_note="工程师迟到"
        )
        return visit

    def test_r17_the_complaint_stays_on_the_dashboard_until_followed_up(
        self, clock, visit, supervisor, login
    ):
        self.complained(visit)
        client = login(supervisor)
        page = client.get("/supervisor/").content.decode()
        assert f'id="complaint-{visit.pk}"' in page and "工程师迟到" in page
        # The dashboard's form says where to come back to (the visits app names no page above
        # it); a foreign address is refused for the visit's own page.
        response = client.post(
            f"/visits/{visit.pk}/complaint-follow-up/",
            {"note": "已致电客户道歉", "next": "/supervisor/?team=1#complaints"},
        )
        assert response.status_code == 302
        assert response.url == "/supervisor/?team=1#complaints"
        visit.refresh_from_db()
        assert visit.complaint_follow_up == "已致电客户道歉"
        assert visit.complaint_followed_up_by == supervisor
        page = client.get("/supervisor/").content.decode()
        assert f'id="complaint-{visit.pk}"' not in page
        response = client.post(
            f"/visits/{visit.pk}/complaint-follow-up/",
            {"note": "again", "next": "https://evil.example/"},
        )
        assert response.url == f"/visits/{visit.pk}/"

    def test_r17_only_a_supervisor_follows_up_once_with_a_note(
        self, clock, visit, supervisor, dispatcher
    ):
        self.complained(visit)
        for actor in (visit.engineer, dispatcher):
            with pytest.raises(PermissionDenied):
                services.follow_up_complaint(actor=actor, visit=visit, note="x")
        with pytest.raises(RuleViolation) as exc:
            services.follow_up_complaint(actor=supervisor, visit=visit, note=" ")
        assert exc.value.field == "note"
        services.follow_up_complaint(actor=supervisor, visit=visit, note="已回访")
        with pytest.raises(RuleViolation) as exc:
            services.follow_up_complaint(actor=supervisor, visit=visit, note="again")
        assert exc.value.code == "already_followed_up"

    def test_r17_no_follow_up_without_a_complaint(self, clock, visit, supervisor):
        ready_to_leave(visit)
        with pytest.raises(RuleViolation) as exc:
            services.follow_up_complaint(actor=supervisor, visit=visit, note="x")
        assert exc.value.code == "no_complaint"

    def test_r17_api_follow_up(self, clock, visit, supervisor, engineer, api):
        self.complained(visit)
        api.force_authenticate(engineer)
        response = api.post(
            f"/api/visits/{visit.pk}/complaint-follow-up/", {"note": "x"}, format="json"
        )
        assert response.status_code == 403
        api.force_authenticate(supervisor)
        response = api.post(
            f"/api/visits/{visit.pk}/complaint-follow-up/", {"note": "已回访"}, format="json"
        )
        assert response.status_code == 200
        assert response.json()["complaint_follow_up"] == "已回访"
