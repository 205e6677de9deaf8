"""Issue 17: the customer's short link to their appointment, and what it lets them do, without
an account: confirm, move to a free slot (R7, R9, R11, working hours), ask for a call back
(R6). Rules pinned here; the page in tests/planning/test_customer_page.py, the browser
journeys in tests/e2e/test_customer_link_journey.py, the race in test_customer_race.py."""

import hashlib
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser

from dispatch import backends
from dispatch.customer_secrets import MARK, customer_text
from dispatch.delivery import deliver_pending
from dispatch.errors import PermissionDenied, RuleViolation
from dispatch.models import Deadline, DeadlineKind, DeadlineState, Event, EventKind, Notification
from dispatch.sms import check_parameters
from tests.factories import open_ticket
from tests.visits.conftest import AFTERNOON, at
from tests.visits.factories import book, confirmed
from visits import services
from visits.models import CustomerLink, Visit, VisitStatus
from visits.services import customer
from visits.services.links import TOKEN_LENGTH, link_token

pytestmark = pytest.mark.django_db
CUSTOMER = AnonymousUser()


def token_of(visit) -> str:
    return link_token(CustomerLink.objects.get(visit=visit))


def test_a_booking_issues_one_link_stored_hashed_and_sent_only_by_sms(visit, settings):
    link = CustomerLink.objects.get(visit=visit)
    token = link_token(link)
    assert len(token) == TOKEN_LENGTH == 22
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert link.expires_at == visit.start
    sms = Notification.objects.get(key=f"visit:{visit.pk}:link")
    # The outbox (a staff surface) keeps the mask; only the sending backend derives the token.
    assert token not in sms.body and token not in str(sms.params)
    assert MARK in sms.body
    text = customer_text(sms)
    assert re.search(r"/c/[A-Za-z0-9_-]{22}$", text), text
    assert token in text
    # The link variable fits Aliyun's 35 characters for a link ("c/" + 22).
    check_parameters("visit_link", sms.params, provider="aliyun", secret_length=22)


def test_a_provider_that_takes_no_link_gets_no_link_sms_and_the_booking_stands(
    clock, dispatcher, ticket, engineer, settings
):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "BACKEND": "tencent"}
    visit = book(dispatcher, ticket, engineer, AFTERNOON)
    assert Notification.objects.filter(key=f"visit:{visit.pk}:booked").exists()
    assert not Notification.objects.filter(key=f"visit:{visit.pk}:link").exists()
    assert CustomerLink.objects.filter(visit=visit).exists()


def test_the_customer_confirms_once_and_the_desk_and_engineer_see_it(visit):
    token = token_of(visit)
    customer.confirm(actor=CUSTOMER, token=token)
    customer.confirm(actor=CUSTOMER, token=token)  # a second tap is the same confirmation
    link = CustomerLink.objects.get(visit=visit)
    assert link.confirmed_at is not None
    events = Event.objects.filter(visit=visit, kind=EventKind.VISIT_CUSTOMER_CONFIRMED)
    assert events.count() == 1 and events.get().actor is None
    # R8: the engineer still re-confirms before leaving.
    with pytest.raises(RuleViolation):
        services.depart_for_visit(actor=visit.engineer, visit=visit)


def test_a_staff_session_cannot_act_in_the_customers_name(visit, dispatcher, supervisor):
    token = token_of(visit)
    for staff in (dispatcher, supervisor, visit.engineer):
        with pytest.raises(PermissionDenied) as refused:
            customer.confirm(actor=staff, token=token)
        assert refused.value.code == "staff_session"
        with pytest.raises(PermissionDenied):
            customer.ask_callback(actor=staff, token=token, note="x")
        with pytest.raises(PermissionDenied):
            customer.move(actor=staff, token=token, start=AFTERNOON + timedelta(days=1))
    assert CustomerLink.objects.get(visit=visit).confirmed_at is None
    assert not Event.objects.filter(kind__startswith="visit.customer_").exists()


def test_an_unknown_token_opens_nothing(visit):
    with pytest.raises(RuleViolation) as refused:
        customer.confirm(actor=CUSTOMER, token="A" * 22)
    assert refused.value.status == 404


def test_a_call_back_is_the_owners_contact_to_make_within_the_r6_window(visit, clock):
    ticket = visit.ticket
    Deadline.objects.filter(ticket=ticket, kind=DeadlineKind.ACKNOWLEDGE).delete()
    customer.ask_callback(actor=CUSTOMER, token=token_of(visit), note="  下午三点前方便  ")
    due = Deadline.objects.get(
        ticket=ticket, kind=DeadlineKind.ACKNOWLEDGE, state=DeadlineState.OPEN
    )
    assert due.responsible == ticket.owner
    assert due.due_at == at(11)  # R6: simple, two hours
    alert = Notification.objects.get(
        recipient=ticket.owner, template="visit_customer_callback_staff"
    )
    assert "客户要求在11:00前回电" in alert.body and "下午三点前方便" in alert.body
    event = Event.objects.get(visit=visit, kind=EventKind.VISIT_CUSTOMER_CALLBACK)
    assert event.message == "下午三点前方便"
    # A second tap is the same request: no second alert.
    customer.ask_callback(actor=CUSTOMER, token=token_of(visit), note="")
    assert Event.objects.filter(kind=EventKind.VISIT_CUSTOMER_CALLBACK).count() == 1


def test_a_call_back_keeps_an_earlier_promise_where_it_is(visit, clock):
    ticket = visit.ticket
    Deadline.objects.filter(ticket=ticket, kind=DeadlineKind.ACKNOWLEDGE).update(
        due_at=at(9, 30), state=DeadlineState.OPEN
    )
    customer.ask_callback(actor=CUSTOMER, token=token_of(visit))
    open_ = Deadline.objects.get(
        ticket=ticket, kind=DeadlineKind.ACKNOWLEDGE, state=DeadlineState.OPEN
    )
    assert open_.due_at == at(9, 30)


def test_a_long_note_is_refused_in_words(visit):
    with pytest.raises(RuleViolation) as refused:
        customer.ask_callback(actor=CUSTOMER, token=token_of(visit), note="长" * 201)
    assert refused.value.field == "note"


def test_no_slot_within_two_hours_is_ever_offered(visit, clock):
    # R11: every slot offered is at least two hours ahead, within working hours (08:00–20:00).
    slots = customer.slots(visit)
    assert slots
    for start, end in slots:
        assert start >= at(11)
        local = start.astimezone(AFTERNOON.tzinfo)
        assert local.hour >= 8 and end.astimezone(AFTERNOON.tzinfo).hour <= 20
        assert start != visit.start
    # Inside two hours of the visit nothing is offered and a move is refused with a sentence.
    clock.move_to(at(12, 30))
    assert customer.slots(visit) == []
    with pytest.raises(RuleViolation) as refused:
        customer.move(actor=CUSTOMER, token=token_of(visit), start=slots[-1][0])
    assert refused.value.code == "too_late_to_move" and refused.value.status == 409


def test_slots_keep_the_engineers_other_visits_and_travel(visit, clock, dispatcher, engineer):
    other = book(dispatcher, open_ticket(dispatcher), engineer, at(17))
    for start, end in customer.slots(visit):
        # R7 and R9: not overlapping, and time to get to the next visit five minutes early.
        assert end <= other.start - timedelta(minutes=5) or start >= other.end


def test_the_customer_moves_to_a_free_slot_through_the_reschedule(visit, clock, dispatcher):
    old_link = CustomerLink.objects.get(visit=visit)
    start, end = customer.slots(visit)[-1]
    new = customer.move(actor=CUSTOMER, token=token_of(visit), start=start)
    visit.refresh_from_db()
    assert visit.status == VisitStatus.RESCHEDULED
    assert new.start == start and new.end == end and new.rescheduled_from == visit
    assert new.engineer == visit.engineer and new.booked_by == dispatcher
    # The standard SMS, and a new link for the new time; the old link shows the move.
    assert Notification.objects.filter(key=f"visit:{new.pk}:rescheduled").exists()
    assert Notification.objects.filter(key=f"visit:{new.pk}:link").exists()
    new_link = CustomerLink.objects.get(visit=new)
    assert new_link.token_hash != old_link.token_hash
    standing = customer.standing(CustomerLink.objects.get(pk=old_link.pk))
    assert not standing.acts and standing.moved_to == new
    moved = Event.objects.get(kind=EventKind.VISIT_CUSTOMER_MOVED)
    assert moved.visit == visit and moved.after["new_visit"] == new.pk and moved.actor is None
    assert Event.objects.filter(visit=visit, kind=EventKind.VISIT_RESCHEDULED).exists()
    # The old link acts no more.
    with pytest.raises(RuleViolation) as refused:
        customer.confirm(actor=CUSTOMER, token=link_token(old_link))
    assert refused.value.status == 410


def test_a_slot_booked_meanwhile_is_a_sentence_and_fresh_slots(visit, clock, dispatcher, engineer):
    start, end = customer.slots(visit)[-1]
    token = token_of(visit)
    # R7: the desk books the engineer at that time on another ticket first.
    book(dispatcher, open_ticket(dispatcher), engineer, start)
    with pytest.raises(RuleViolation) as refused:
        customer.move(actor=CUSTOMER, token=token, start=start)
    assert refused.value.code == "slot_taken" and refused.value.status == 409
    assert "刚刚被约走" in refused.value.message or "just taken" in refused.value.message
    assert start not in {s for s, _e in customer.slots(visit)}
    assert Visit.objects.get(pk=visit.pk).status == VisitStatus.BOOKED


def test_the_link_acts_until_the_visit_starts_then_shows_its_state(visit, clock):
    token = token_of(visit)
    clock.move_to(AFTERNOON + timedelta(minutes=1))
    with pytest.raises(RuleViolation) as refused:
        customer.confirm(actor=CUSTOMER, token=token)
    assert refused.value.status == 410
    assert not customer.standing(CustomerLink.objects.get(visit=visit)).acts


def test_the_departure_sms_gives_a_coarse_time_never_before_the_booking(visit, clock):
    from planning.suggestions import travel_minutes

    confirmed(visit)
    clock.move_to(at(13, 52))
    services.depart_for_visit(actor=visit.engineer, visit=visit)
    sms = Notification.objects.get(key=f"visit:{visit.pk}:departed")
    # The departure plus the expected travel, rounded up to ten minutes; no place, no track.
    eta = at(13, 52) + timedelta(minutes=travel_minutes(visit))
    eta += timedelta(minutes=-eta.minute % 10)
    assert f"已出发，预计{eta:%H:%M}到达。" in sms.body, sms.body
    assert eta.minute % 10 == 0 and eta > AFTERNOON
    assert not re.search(r"\d+\.\d{3,}", sms.body)  # no coordinates


def test_the_departure_sms_is_never_earlier_than_the_booked_start(visit, clock, settings):
    settings.PLANNING = {**settings.PLANNING, "UNKNOWN_TRAVEL_MINUTES": 10}
    confirmed(visit)
    clock.move_to(at(12))
    services.depart_for_visit(actor=visit.engineer, visit=visit)
    assert "预计14:00到达" in Notification.objects.get(key=f"visit:{visit.pk}:departed").body


def test_no_departure_sms_in_quiet_hours(clock, dispatcher, ticket, engineer, settings):
    settings.NOTIFICATIONS = {
        **settings.NOTIFICATIONS,
        "QUIET_HOURS_START": "21:00",
        "QUIET_HOURS_END": "08:00",
    }
    early = book(dispatcher, ticket, engineer, at(9, 0) + timedelta(days=1))
    confirmed(early)
    clock.move_to(at(7, 30) + timedelta(days=1))
    services.depart_for_visit(actor=early.engineer, visit=early)
    assert not Notification.objects.filter(key=f"visit:{early.pk}:departed").exists()


def test_the_locmem_backend_delivers_the_link(visit, settings):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "BACKEND": "locmem"}
    backends.outbox.clear()
    deliver_pending()
    texts = [m["text"] for m in backends.outbox]
    assert any(token_of(visit) in t for t in texts), texts
