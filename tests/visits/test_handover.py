"""R16, a handover mid-visit, on every path: the customer's own consent (an SMS code typed on the
customer's screen of the engineer's phone, or sent by the phone app), the note reaching the
receiving engineer (alert, page, API), and the receiving engineer's own kit, self-check (R18–R20)
and door checks (R14) on a successor visit, punctual by the agreed time (R9)."""

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from checklists.models import KitRun
from dispatch import deadlines
from dispatch.customer_secrets import MARK, SecretGone, customer_text, secret_for
from dispatch.delivery import deliver_pending
from dispatch.errors import PermissionDenied, RuleViolation
from dispatch.models import Deadline, DeadlineKind, Event, Notification
from tests.visits.conftest import at, minutes
from tests.visits.factories import MEASUREMENT, at_work, kit_done, measured
from visits import services
from visits.closing import pending_visits_block_close
from visits.models import (
    ConsentChannel,
    ConsentMethod,
    DoorCheck,
    HandoverState,
    Violation,
    Visit,
    VisitHandover,
    VisitStatus,
)
from visits.services.handover import CODE_MAX_ATTEMPTS

pytestmark = pytest.mark.django_db

NOTE = "客厅已测，车库RSRP -121，需查室分"
REASON = "需登高更换室分天线"
START, END = at(16, 0), at(17, 0)


def ask(visit, to, **overrides):
    """The visit's engineer asks the customer to agree that `to` takes over at 16:00."""
    args = {"to_engineer": to, "start": START, "end": END, "note": NOTE, "reason": REASON}
    args.update(overrides)
    return services.request_handover(actor=visit.engineer, visit=visit, **args)


def sms_of(handover) -> Notification:
    return Notification.objects.get(key=f"visit:{handover.visit_id}:handover-code:{handover.pk}")


def code_of(handover) -> str:
    """What the customer's phone shows: the text a sending backend builds, code included."""
    return re.search(r"(?<!\d)(\d{6})(?!\d)", customer_text(sms_of(handover))).group(1)


def handed_over(visit, to) -> Visit:
    """Asked and agreed by the customer; returns the receiving engineer's visit."""
    measured(at_work(visit))
    handover = ask(visit, to)
    services.confirm_handover(actor=visit.engineer, visit=visit, code=code_of(handover))
    return Visit.objects.get(handed_over_from=visit)


# --- the service: asking --------------------------------------------------------------------


class TestAsking:
    def test_r16_asking_sends_the_customer_a_code_and_hands_nothing_over(
        self, clock, visit, engineer, engineer2
    ):
        at_work(visit)
        handover = ask(visit, engineer2)
        visit.refresh_from_db()
        assert (visit.status, visit.engineer) == (VisitStatus.AT_WORK, engineer)
        assert not Visit.objects.filter(handed_over_from=visit).exists()
        assert handover.state == HandoverState.PENDING
        assert handover.consented_at is None and handover.consent_method == ""
        sms = sms_of(handover)
        # R23-like: the outbox holds a mask and a reference; the code is made when it is sent.
        assert MARK in sms.body and sms.secret_ref and sms.urgent
        assert not re.search(r"\d{6}", sms.body)
        text = customer_text(sms)
        code = code_of(handover)
        assert code in text
        # R26: who takes over, when and why, in the standard phrasing.
        assert engineer2.last_name in text and "16:00" in text and REASON in text
        assert code not in str(handover.__dict__)
        event = Event.objects.get(visit=visit, kind="visit.handover_requested")
        assert event.after["to_engineer"] == engineer2.username
        assert code not in str(event.after) + event.message

    def test_r16_the_engineer_may_not_hand_over_on_the_customers_behalf(
        self, clock, visit, engineer2
    ):
        """The old path: the engineer's own tick is no consent. Without the customer's code
        nothing changes hands, whatever the engineer asserts."""
        at_work(visit)
        with pytest.raises(TypeError):
            services.request_handover(
                actor=visit.engineer,
                visit=visit,
                to_engineer=engineer2,
                note=NOTE,
                customer_consented=True,
            )
        ask(visit, engineer2)
        with pytest.raises(RuleViolation) as exc:
            services.confirm_handover(actor=visit.engineer, visit=visit, code="")
        assert exc.value.code == "wrong"
        assert Visit.objects.get(pk=visit.pk).status == VisitStatus.AT_WORK

    @pytest.mark.parametrize(
        "change, code, field",
        [
            ({"note": " "}, "handover_note_required", "note"),
            ({"reason": ""}, "reason_required", "reason"),
            ({"reason": "这是我们公司的规定"}, "banned_phrase", "reason"),
            ({"start": at(9, 4), "end": at(10, 0)}, "handover_too_soon", "start"),
            ({"end": at(15, 0)}, "end_before_start", "end"),
        ],
    )
    def test_r16_what_the_request_needs(self, clock, visit, engineer2, change, code, field):
        at_work(visit)
        with pytest.raises(RuleViolation) as exc:
            ask(visit, engineer2, **change)
        assert (exc.value.code, exc.value.field) == (code, field)
        assert not VisitHandover.objects.exists()
        assert not Notification.objects.filter(template="visit_handover_code").exists()

    def test_r16_the_code_goes_at_once_even_in_quiet_hours(
        self, clock, settings, tmp_path, visit, engineer2
    ):
        """The customer is waiting for the code on site: quiet hours (21:00–08:00) hold it not."""
        settings.NOTIFICATIONS = {
            **settings.NOTIFICATIONS,
            "BACKEND": "file",
            "FILE_DIR": str(tmp_path / "phones"),
        }
        at_work(visit)
        clock.move_to(at(22, 0))
        handover = ask(visit, engineer2, start=at(22, 30), end=at(23, 30))
        sms = sms_of(handover)
        assert sms.urgent and sms.send_after is None
        assert deliver_pending().sent >= 1
        received = (tmp_path / "phones" / "+8613800138000.txt").read_text(encoding="utf-8")
        assert code_of(handover) in received

    def test_r16_r27_a_banned_phrase_goes_only_when_confirmed(self, clock, visit, engineer2):
        at_work(visit)
        handover = ask(visit, engineer2, reason="这是我们公司的规定", confirm_wording=True)
        event = Event.objects.get(visit=visit, kind="visit.handover_requested")
        assert event.after["banned_phrases_confirmed"] == ["这是我们公司的规定"]
        assert handover.state == HandoverState.PENDING

    def test_r16_only_under_way_and_to_another_engineer(self, clock, visit, engineer2):
        with pytest.raises(RuleViolation) as exc:
            ask(visit, engineer2)
        assert exc.value.code == "not_under_way"
        at_work(visit)
        with pytest.raises(RuleViolation) as exc:
            ask(visit, visit.engineer)
        assert exc.value.code == "same_engineer"

    def test_r16_only_the_visits_engineer_asks(self, clock, visit, engineer2, supervisor):
        at_work(visit)
        with pytest.raises(PermissionDenied):
            services.request_handover(
                actor=supervisor,
                visit=visit,
                to_engineer=engineer2,
                start=START,
                end=END,
                note=NOTE,
                reason=REASON,
            )

    def test_r16_a_new_request_replaces_the_old_one(self, clock, visit, engineer2, dispatcher):
        from tests.factories import make_user

        engineer3 = make_user("engineer", username="engineer_c")
        at_work(visit)
        first = ask(visit, engineer2)
        old_code = code_of(first)
        second = ask(visit, engineer3, start=at(18, 0), end=at(19, 0))
        first.refresh_from_db()
        assert first.state == HandoverState.SUPERSEDED
        # The old SMS, not sent yet, no longer carries a code that opens anything.
        with pytest.raises(SecretGone):
            secret_for(sms_of(first))
        new_code = code_of(second)
        if old_code != new_code:
            with pytest.raises(RuleViolation) as exc:
                services.confirm_handover(actor=visit.engineer, visit=visit, code=old_code)
            assert exc.value.code == "wrong"
        services.confirm_handover(actor=visit.engineer, visit=visit, code=new_code)
        assert Visit.objects.get(handed_over_from=visit).engineer == engineer3

    def test_r16_r7_a_busy_colleague_is_named_by_time_only(
        self, clock, visit, engineer2, dispatcher
    ):
        from tests.factories import open_ticket
        from tests.visits.factories import book

        other = book(dispatcher, open_ticket(dispatcher, customer_name="孙女士"), engineer2, START)
        at_work(visit)
        with pytest.raises(RuleViolation) as exc:
            ask(visit, engineer2)
        assert exc.value.code == "engineer_busy"
        assert other.ticket.number not in exc.value.message and "16:00" in exc.value.message


# --- the service: the customer's consent ------------------------------------------------------


class TestConsent:
    def test_r16_the_customers_code_hands_over_to_a_successor_visit(
        self, clock, visit, engineer, engineer2
    ):
        measured(at_work(visit))
        handover = ask(visit, engineer2)
        code = code_of(handover)
        clock.move_to(at(9, 3))
        services.confirm_handover(actor=engineer, visit=visit, code=code)
        visit.refresh_from_db()
        handover.refresh_from_db()
        successor = Visit.objects.get(handed_over_from=visit)
        # The first visit ends as handed over; its engineer and tests stay on it.
        assert (visit.status, visit.engineer) == (VisitStatus.HANDED_OVER, engineer)
        assert visit.measurements.count() == 1 and visit.work_ended_at == at(9, 3)
        # The successor: the receiving engineer at the agreed time, confirmed by the customer.
        assert (successor.engineer, successor.start, successor.end) == (engineer2, START, END)
        assert successor.status == VisitStatus.CONFIRMED
        assert successor.reconfirmed_at == at(9, 3)
        assert successor.measurements.count() == 0
        # How the consent was given: the code, typed on the engineer's phone, when.
        assert handover.state == HandoverState.CONFIRMED
        assert handover.consent_method == ConsentMethod.SMS_CODE
        assert handover.consent_channel == ConsentChannel.PAGE
        assert handover.consent_device_user == engineer
        assert handover.consented_at == at(9, 3)
        assert handover.code_hash == ""
        event = Event.objects.get(visit=visit, kind="visit.handed_over")
        assert event.after["consent"] == "sms_code" and event.after["successor"] == successor.pk
        assert event.after["phone"] == "138****8000" and event.after["typed_on"] == "engineer_a"
        # The customer is told back, in the standard phrasing.
        confirmation = Notification.objects.get(template="visit_handed_over")
        assert engineer2.last_name in confirmation.body and "16:00" in confirmation.body
        # A code works once, and its SMS, were it still in the outbox, would not be sent.
        with pytest.raises(RuleViolation) as exc:
            services.confirm_handover(actor=engineer, visit=visit, code=code)
        assert exc.value.code == "handed_over"
        with pytest.raises(SecretGone):
            secret_for(sms_of(handover))

    def test_r16_a_wrong_code_is_counted_and_too_many_refuse_the_request(
        self, clock, visit, engineer2
    ):
        at_work(visit)
        handover = ask(visit, engineer2)
        right = code_of(handover)
        wrong = f"{(int(right) + 1) % 1_000_000:06d}"
        for attempt in range(1, CODE_MAX_ATTEMPTS):
            with pytest.raises(RuleViolation) as exc:
                services.confirm_handover(actor=visit.engineer, visit=visit, code=wrong)
            assert (exc.value.code, exc.value.status, exc.value.field) == ("wrong", 400, "code")
            handover.refresh_from_db()
            assert handover.code_attempts == attempt  # counted although it raised
        with pytest.raises(RuleViolation) as exc:
            services.confirm_handover(actor=visit.engineer, visit=visit, code=wrong)
        assert exc.value.code == "locked"
        handover.refresh_from_db()
        assert handover.state == HandoverState.LOCKED
        with pytest.raises(RuleViolation) as exc:
            services.confirm_handover(actor=visit.engineer, visit=visit, code=right)
        assert exc.value.code == "no_request"
        assert Visit.objects.get(pk=visit.pk).status == VisitStatus.AT_WORK
        assert Event.objects.filter(visit=visit, kind="visit.handover_locked").exists()

    def test_r16_the_code_expires_by_setting(self, clock, settings, visit, engineer2):
        settings.SEED_RULES = {**settings.SEED_RULES, "HANDOVER_CODE_MINUTES": 3}
        at_work(visit)
        handover = ask(visit, engineer2)
        assert handover.code_expires_at == at(9, 3)
        code = code_of(handover)
        clock.move_to(at(9, 3))
        with pytest.raises(RuleViolation) as exc:
            services.confirm_handover(actor=visit.engineer, visit=visit, code=code)
        assert exc.value.code == "code_expired"
        with pytest.raises(SecretGone):
            secret_for(sms_of(handover))  # an SMS still in the outbox is not sent any more
        assert Visit.objects.get(pk=visit.pk).status == VisitStatus.AT_WORK

    def test_r16_only_the_visits_engineers_phone_takes_the_code(
        self, clock, visit, engineer2, supervisor
    ):
        at_work(visit)
        handover = ask(visit, engineer2)
        for who in (supervisor, engineer2, AnonymousUser()):
            with pytest.raises(PermissionDenied):
                services.confirm_handover(actor=who, visit=visit, code=code_of(handover))
        assert Visit.objects.get(pk=visit.pk).status == VisitStatus.AT_WORK

    def test_r16_r9_the_agreed_time_must_still_leave_room_to_be_punctual(
        self, clock, settings, visit, engineer2
    ):
        settings.SEED_RULES = {**settings.SEED_RULES, "HANDOVER_CODE_MINUTES": 30}
        at_work(visit)
        handover = ask(visit, engineer2, start=at(9, 20), end=at(10, 20))
        clock.move_to(at(9, 15))  # the code is still valid, but 09:15 is start − 5 min
        with pytest.raises(RuleViolation) as exc:
            services.confirm_handover(actor=visit.engineer, visit=visit, code=code_of(handover))
        assert (exc.value.code, exc.value.status) == ("handover_too_soon", 409)
        assert Visit.objects.get(pk=visit.pk).status == VisitStatus.AT_WORK

    def test_r16_a_visit_that_moved_on_is_not_handed_over(self, clock, visit, engineer2):
        measured(at_work(visit), phase="after")
        code = code_of(ask(visit, engineer2))
        services.record_outcome(
            actor=visit.engineer, visit=visit, resolved=True, summary="调整后恢复"
        )
        with pytest.raises(RuleViolation) as exc:
            services.confirm_handover(actor=visit.engineer, visit=visit, code=code)
        assert exc.value.code == "not_under_way"
        assert not Visit.objects.filter(handed_over_from=visit).exists()


# --- after the handover: the receiving engineer's own visit ----------------------------------


class TestTheReceivingEngineer:
    def test_r16_r20_the_receiving_engineer_does_their_own_kit_and_self_check(
        self, clock, visit, engineer2
    ):
        successor = handed_over(visit, engineer2)
        # The first engineer's kit stays with the first visit.
        assert successor.kit_completed_at is None and successor.self_checked_at is None
        assert not KitRun.objects.filter(visit=successor).exists()
        with pytest.raises(RuleViolation) as exc:
            services.record_arrival(actor=engineer2, visit=successor)
        assert exc.value.code == "kit_incomplete"
        # Nobody else walks the successor: the first engineer neither.
        with pytest.raises(PermissionDenied):
            services.record_arrival(actor=visit.engineer, visit=successor)

    def test_r16_r14_the_receiving_engineer_goes_through_the_door_checks(
        self, clock, visit, engineer2
    ):
        successor = handed_over(visit, engineer2)
        clock.move_to(at(15, 50))
        kit_done(successor)
        services.record_arrival(actor=engineer2, visit=successor)
        with pytest.raises(RuleViolation) as exc:
            services.start_work(actor=engineer2, visit=successor, door_checks=[])
        assert exc.value.code == "door_checks_incomplete"
        services.start_work(actor=engineer2, visit=successor, door_checks=DoorCheck.values)
        services.add_measurement(actor=engineer2, visit=successor, **MEASUREMENT)
        successor.refresh_from_db()
        assert successor.status == VisitStatus.AT_WORK
        assert successor.door_checks == DoorCheck.values

    def test_r16_r9_punctual_by_the_agreed_time_late_counts_against_the_receiver(
        self, clock, visit, engineer, engineer2
    ):
        successor = handed_over(visit, engineer2)
        arrival = Deadline.objects.get(visit=successor, kind=DeadlineKind.ARRIVAL)
        assert (arrival.due_at, arrival.responsible, arrival.state) == (
            START - minutes(5),
            engineer2,
            "open",
        )
        # R8: the customer confirmed the time with the code: no re-confirmation is owed.
        assert not Deadline.objects.filter(visit=successor, kind=DeadlineKind.RECONFIRM).exists()
        clock.move_to(at(15, 40))
        kit_done(successor)
        clock.move_to(at(16, 2))
        services.record_arrival(actor=engineer2, visit=successor)
        successor.refresh_from_db()
        assert successor.arrival_punctual is False
        late = Violation.objects.get(visit=successor, kind="late_arrival")
        assert (late.engineer, late.minutes) == (engineer2, 7)
        assert not Violation.objects.filter(engineer=engineer).exists()

    def test_r16_open_deadlines_follow_to_the_successor_nothing_dropped_or_doubled(
        self, clock, visit, engineer, engineer2
    ):
        measured(at_work(visit))
        # An open promise of the first visit (one a handover must not drop).
        deadlines.open_deadline(
            kind=DeadlineKind.VISIT_NOTE,
            ticket=visit.ticket,
            visit=visit,
            due_at=at(12, 0),
            responsible=engineer,
        )
        ticket_promise = Deadline.objects.get(ticket=visit.ticket, visit__isnull=True, state="open")
        handover = ask(visit, engineer2)
        services.confirm_handover(actor=engineer, visit=visit, code=code_of(handover))
        successor = Visit.objects.get(handed_over_from=visit)
        assert not Deadline.objects.filter(visit=visit, state="open").exists()
        open_ones = Deadline.objects.filter(visit=successor, state="open")
        assert sorted(open_ones.values_list("kind", "responsible")) == [
            (DeadlineKind.ARRIVAL, engineer2.pk),
            (DeadlineKind.VISIT_NOTE, engineer2.pk),
        ]
        ticket_promise.refresh_from_db()
        assert (ticket_promise.state, ticket_promise.responsible) == ("open", visit.ticket.owner)

    def test_r16_the_receiving_engineer_gets_an_alert_with_the_note(self, clock, visit, engineer2):
        successor = handed_over(visit, engineer2)
        alert = Notification.objects.get(recipient=engineer2, template="visit_handover_staff")
        assert NOTE in alert.body and visit.ticket.number in alert.body and "16:00" in alert.body
        assert successor.ticket == visit.ticket

    def test_r16_the_ticket_stays_open_until_the_successor_is_done(self, clock, visit, engineer2):
        successor = handed_over(visit, engineer2)
        blockers = pending_visits_block_close(visit.ticket)
        assert len(blockers) == 1 and "16:00" in blockers[0]
        from visits.selectors import active_visit_of

        assert active_visit_of(visit.ticket) == successor


# --- the pages: the engineer's phone, the customer's screen, the desk -------------------------


class TestPages:
    def form(self, engineer2, **change):
        data = {
            "engineer": engineer2.pk,
            "day": "2026-11-23",
            "start_time": "16:00",
            "duration": 60,
            "reason": REASON,
            "note": NOTE,
        }
        data.update(change)
        return data

    def test_r16_the_form_asks_then_the_customers_screen_takes_the_code(
        self, clock, visit, engineer2, login
    ):
        measured(at_work(visit))
        client = login(visit.engineer)
        response = client.post(reverse("visits:handover", args=[visit.pk]), self.form(engineer2))
        assert response.status_code == 302
        assert response["Location"] == reverse("visits:handover_consent", args=[visit.pk])
        handover = VisitHandover.objects.get()
        screen = client.get(response["Location"]).content.decode()
        # The customer's screen: who, when, why, their masked phone; no staff navigation and
        # no code on it.
        assert engineer2.last_name in screen and REASON in screen and "16:00" in screen
        assert "138****8000" in screen
        assert 'href="/visits/today/"' not in screen and 'href="/visits/board/"' not in screen
        assert NOTE not in screen  # the note is for the colleague, not the customer
        assert code_of(handover) not in screen
        wrong = f"{(int(code_of(handover)) + 1) % 1_000_000:06d}"
        response = client.post(reverse("visits:handover_consent", args=[visit.pk]), {"code": wrong})
        assert response.status_code == 400
        assert response.context["form"].errors["code"]
        response = client.post(
            reverse("visits:handover_consent", args=[visit.pk]), {"code": code_of(handover)}
        )
        assert response.status_code == 302
        done = client.get(response["Location"])
        assert done.status_code == 200 and "谢谢" in done.content.decode()
        visit.refresh_from_db()
        assert visit.status == VisitStatus.HANDED_OVER
        handover.refresh_from_db()
        assert handover.consent_channel == ConsentChannel.PAGE
        # The first engineer's page says where the work went; their steps are over.
        page = client.get(reverse("visits:detail", args=[visit.pk])).content.decode()
        assert 'class="steps"' not in page and engineer2.last_name in page

    def test_r16_the_form_shows_refusals_next_to_their_field(self, clock, visit, engineer2, login):
        at_work(visit)
        client = login(visit.engineer)
        response = client.post(
            reverse("visits:handover", args=[visit.pk]),
            self.form(engineer2, reason="", note="", start_time=""),
        )
        assert response.status_code == 400
        errors = response.context["handover_form"].errors
        assert {"reason", "note", "start_time"} <= set(errors)
        response = client.post(
            reverse("visits:handover", args=[visit.pk]),
            self.form(engineer2, start_time="09:00"),
        )
        assert response.status_code == 400
        assert response.context["handover_form"].errors
        assert not VisitHandover.objects.exists()

    def test_r16_a_locked_request_closes_the_customers_screen(self, clock, visit, engineer2, login):
        at_work(visit)
        handover = ask(visit, engineer2)
        wrong = f"{(int(code_of(handover)) + 1) % 1_000_000:06d}"
        client = login(visit.engineer)
        url = reverse("visits:handover_consent", args=[visit.pk])
        for _ in range(CODE_MAX_ATTEMPTS - 1):
            assert client.post(url, {"code": wrong}).status_code == 400
        response = client.post(url, {"code": wrong})
        assert response.status_code == 409
        assert 'name="code"' not in response.content.decode()
        assert client.get(url).status_code == 302  # nothing waits for a code any more

    def test_r16_an_expired_code_is_said_on_the_engineers_page(
        self, clock, visit, engineer2, login
    ):
        at_work(visit)
        ask(visit, engineer2)
        client = login(visit.engineer)
        page = client.get(f"/visits/{visit.pk}/").content.decode()
        assert reverse("visits:handover_consent", args=[visit.pk]) in page
        clock.move_to(at(9, 11))
        page = client.get(f"/visits/{visit.pk}/").content.decode()
        assert "已过期" in page
        assert reverse("visits:handover_consent", args=[visit.pk]) not in page

    def test_r16_the_receiving_engineers_page_shows_the_note_the_tests_and_the_kit_gate(
        self, clock, visit, engineer2, login
    ):
        successor = handed_over(visit, engineer2)
        page = login(engineer2).get(f"/visits/{successor.pk}/").content.decode()
        assert 'class="card handover-in"' in page and NOTE in page
        assert "-112.5" in page  # the first engineer's test, read-only
        # R20: their own kit gates their arrival.
        assert 'id="arrive-blocked"' in page

    def test_r16_the_desk_sees_the_request_and_the_masked_sms_never_the_code(
        self, clock, visit, engineer2, login, supervisor
    ):
        at_work(visit)
        handover = ask(visit, engineer2)
        code = code_of(handover)
        supervisor.is_staff = supervisor.is_superuser = True
        supervisor.save()
        client = login(supervisor)
        sms = sms_of(handover)
        for url in (
            f"/visits/{visit.pk}/",
            "/outbox/",
            f"/tickets/{visit.ticket.number}/",
            f"/api/visits/{visit.pk}/",
            "/admin/dispatch/notification/",
            f"/admin/dispatch/notification/{sms.pk}/change/",
            "/admin/dispatch/event/",
            f"/admin/visits/visithandover/{handover.pk}/change/",
        ):
            response = client.get(url)
            assert response.status_code == 200, url
            assert code not in response.content.decode(), url
        desk = client.get(f"/visits/{visit.pk}/").content.decode()
        assert MARK in desk and REASON in desk

    def test_r16_the_customers_screen_is_the_visits_engineers_alone(
        self, clock, visit, engineer2, login, supervisor
    ):
        at_work(visit)
        ask(visit, engineer2)
        url = reverse("visits:handover_consent", args=[visit.pk])
        assert login(supervisor).get(url).status_code == 403
        assert login(engineer2).get(url).status_code == 404


# --- the API: the engineer's phone app ---------------------------------------------------------


class TestApi:
    def body(self, engineer2, **change):
        data = {
            "to_engineer": engineer2.username,
            "start": START.isoformat(),
            "end": END.isoformat(),
            "reason": REASON,
            "note": NOTE,
        }
        data.update(change)
        return data

    def test_r16_request_then_confirm_with_the_code(self, clock, visit, engineer2, api):
        measured(at_work(visit))
        api.force_authenticate(visit.engineer)
        response = api.post(
            f"/api/visits/{visit.pk}/handover/", self.body(engineer2), format="json"
        )
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["state"] == "pending" and body["phone"] == "138****8000"
        assert body["successor"] is None
        handover = VisitHandover.objects.get()
        assert code_of(handover) not in response.content.decode()
        confirm = f"/api/visits/{visit.pk}/handover/confirm/"
        response = api.post(confirm, {"code": "000000"}, format="json")
        if code_of(handover) != "000000":
            assert response.status_code == 400 and response.json()["code"] == "wrong"
        response = api.post(confirm, {"code": code_of(handover)}, format="json")
        assert response.status_code == 200, response.json()
        body = response.json()
        successor = Visit.objects.get(handed_over_from=visit)
        assert body["state"] == "confirmed" and body["successor"] == successor.pk
        assert body["consent_method"] == "sms_code" and body["consent_channel"] == "api"
        assert body["consent_device_user"] == visit.engineer.username
        detail = api.get(f"/api/visits/{visit.pk}/").json()
        assert detail["status"] == "handed_over" and detail["handed_over_to"] == successor.pk

    def test_r16_the_api_refuses_without_the_rule(self, clock, visit, engineer2, api):
        api.force_authenticate(visit.engineer)
        response = api.post(
            f"/api/visits/{visit.pk}/handover/", self.body(engineer2), format="json"
        )
        assert response.status_code == 409 and response.json()["code"] == "not_under_way"
        at_work(visit)
        response = api.post(
            f"/api/visits/{visit.pk}/handover/",
            self.body(engineer2, reason="这是我们公司的规定"),
            format="json",
        )
        assert response.status_code == 400 and response.json()["code"] == "banned_phrase"
        response = api.post(
            f"/api/visits/{visit.pk}/handover/confirm/", {"code": "123456"}, format="json"
        )
        assert response.status_code == 409 and response.json()["code"] == "no_request"

    def test_r16_the_api_shows_the_receiving_engineer_the_note_and_the_tests(
        self, clock, visit, engineer, engineer2, api
    ):
        successor = handed_over(visit, engineer2)
        api.force_authenticate(engineer2)
        body = api.get(f"/api/visits/{successor.pk}/").json()
        assert body["handed_over_from"] == visit.pk
        handover_in = body["handover_in"]
        assert handover_in["from_engineer"] == engineer.username
        assert handover_in["to_engineer"] == engineer2.username
        assert handover_in["note"] == NOTE and handover_in["consent_method"] == "sms_code"
        assert handover_in["previous_visit"] == visit.pk
        assert [m["rsrp_dbm"] for m in handover_in["measurements"]] == ["-112.5"]
        assert body["kit_complete"] is False
        # The first visit stays the first engineer's: the receiving engineer reads the note, not
        # the colleague's visit.
        assert api.get(f"/api/visits/{visit.pk}/").status_code == 404


# --- the admin: read-only -----------------------------------------------------------------


def test_r16_the_admin_shows_handovers_read_only_without_their_code(
    clock, visit, engineer2, client
):
    from tests.factories import make_user

    at_work(visit)
    handover = ask(visit, engineer2)
    code = code_of(handover)
    admin = make_user("supervisor", username="admin_r16")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    listing = client.get("/admin/visits/visithandover/")
    assert listing.status_code == 200 and engineer2.username in listing.content.decode()
    page = client.get(f"/admin/visits/visithandover/{handover.pk}/change/")
    text = page.content.decode()
    assert page.status_code == 200 and code not in text and handover.code_hash not in text
    assert 'name="_save"' not in text  # read-only: no way to consent through the admin
    response = client.post(
        f"/admin/visits/visithandover/{handover.pk}/change/", {"state": "confirmed"}
    )
    assert response.status_code == 403
    handover.refresh_from_db()
    assert handover.state == HandoverState.PENDING


def test_r16_handovers_from_before_consent_by_code_are_marked_as_the_engineers_tick(
    clock, visit, engineer, engineer2, login
):
    """Old records changed the visit's engineer in place on the engineer's own tick: the
    migration keeps them as confirmed, with the consent method saying what it was, and the
    receiving engineer's page still shows their note."""
    import importlib

    from django.apps import apps

    at_work(visit)
    Visit.objects.filter(pk=visit.pk).update(engineer=engineer2)
    # A row as the schema step leaves an old one: the new columns at their defaults.
    old = VisitHandover.objects.create(
        visit=visit, from_engineer=engineer, to_engineer=engineer2, note=NOTE, requested_by=engineer
    )
    migration = importlib.import_module("visits.migrations.0009_handover_by_customer_consent")
    migration.mark_old_handovers(apps, None)
    old.refresh_from_db()
    assert old.state == HandoverState.CONFIRMED
    assert old.consent_method == ConsentMethod.ENGINEER_TICK
    assert old.consented_at == old.created_at
    page = login(engineer2).get(f"/visits/{visit.pk}/").content.decode()
    assert 'class="card handover-in"' in page and NOTE in page
