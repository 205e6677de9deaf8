"""The visit's transition map drives the services, the engineer's page and the API
(docs/design.md#state-maps, docs/rules.md R21): every move the map forbids is refused by the
service that would make it, with a sentence and nothing written; the page offers exactly the
steps the map and the rules allow in each status, and the API's `next_steps` says the same."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dispatch.errors import RuleViolation
from dispatch.models import Event
from tests.visits.conftest import AFTERNOON, minutes
from tests.visits.factories import arrived, at_work, confirmed, measured
from tests.visits.test_handover import ask, code_of, handed_over
from visits import services
from visits.models import VISIT_TRANSITIONS, DoorCheck, Visit, VisitStatus
from visits.next_steps import NextSteps, next_steps

pytestmark = pytest.mark.django_db
S = VisitStatus


def walk_to(status: str, visit: Visit, clock, dispatcher, colleague) -> Visit:
    """Bring a visit booked for 14:00 to `status` through the services, as people would."""
    engineer = visit.engineer
    if status == S.BOOKED:
        return visit
    if status == S.HANDED_OVER:
        handed_over(visit, colleague)  # R16: asked, and agreed with the customer's code
    elif status == S.RESCHEDULED:
        start = AFTERNOON + timedelta(hours=2)
        services.reschedule_visit(
            actor=dispatcher,
            visit=visit,
            start=start,
            end=start + minutes(60),
            reason="客户临时有事",
            customer_agreed=True,
        )
    elif status == S.CANCELLED:
        services.cancel_visit(
            actor=dispatcher, visit=visit, reason="客户已自行解决", customer_agreed=True
        )
    elif status == S.CONFIRMED:
        confirmed(visit)
    elif status == S.EN_ROUTE:
        confirmed(visit)
        services.depart_for_visit(actor=engineer, visit=visit)
    elif status == S.ARRIVED:
        arrived(visit)
    elif status == S.NO_ANSWER:
        arrived(visit)
        services.record_knock(actor=engineer, visit=visit)
        services.record_failed_call(actor=engineer, visit=visit)
        clock.shift(minutes(10))
        services.mark_no_answer(actor=engineer, visit=visit)
    elif status == S.AT_WORK:
        at_work(visit)
    else:  # the work ended
        measured(at_work(visit), phase="after")
        services.record_outcome(
            actor=engineer,
            visit=visit,
            resolved=status == S.RESOLVED,
            summary="基站参数已调整",
            customer_tried=True,
            promised_reply_at=None if status == S.RESOLVED else timezone.now() + minutes(60),
        )
        if status == S.REPLIED:
            services.record_reply(actor=engineer, visit=visit, message="已优化，请试用。")
    visit.refresh_from_db()
    assert visit.status == status
    return visit


def hand_over(visit: Visit, colleague) -> None:
    """R16: ask the customer, who agrees with the code sent to their phone."""
    handover = ask(visit, colleague)
    services.confirm_handover(actor=visit.engineer, visit=visit, code=code_of(handover))


def move(target: str, visit: Visit, dispatcher, colleague) -> None:
    """Ask the service that moves a visit to `target`, with input it would accept."""
    engineer, now = visit.engineer, timezone.now()
    calls = {
        S.HANDED_OVER: lambda: hand_over(visit, colleague),
        S.CONFIRMED: lambda: services.reconfirm_visit(actor=engineer, visit=visit),
        S.EN_ROUTE: lambda: services.depart_for_visit(actor=engineer, visit=visit),
        S.ARRIVED: lambda: services.record_arrival(actor=engineer, visit=visit),
        S.NO_ANSWER: lambda: services.mark_no_answer(actor=engineer, visit=visit),
        S.AT_WORK: lambda: services.start_work(
            actor=engineer, visit=visit, door_checks=DoorCheck.values
        ),
        S.RESOLVED: lambda: services.record_outcome(
            actor=engineer, visit=visit, resolved=True, summary="已解决", customer_tried=True
        ),
        S.UNRESOLVED: lambda: services.record_outcome(
            actor=engineer,
            visit=visit,
            resolved=False,
            summary="需优化基站",
            promised_reply_at=now + minutes(60),
        ),
        S.REPLIED: lambda: services.record_reply(actor=engineer, visit=visit, message="已回复"),
        S.RESCHEDULED: lambda: services.reschedule_visit(
            actor=dispatcher,
            visit=visit,
            start=now + timedelta(days=1),
            end=now + timedelta(days=1, hours=1),
            reason="客户改期",
            customer_agreed=True,
        ),
        S.CANCELLED: lambda: services.cancel_visit(
            actor=dispatcher, visit=visit, reason="客户取消", customer_agreed=True
        ),
    }
    calls[target]()


@pytest.mark.parametrize("status", S.values)
def test_every_move_the_map_forbids_is_refused_by_its_service(
    status, clock, visit, dispatcher, engineer2
):
    """docs/rules.md R21: a step out of order is a 409 with a sentence; the visit keeps its
    status and no event is written."""
    visit = walk_to(status, visit, clock, dispatcher, engineer2)
    # Every status but "booked", which only a new visit has (book_visit), is some service's move.
    targets = [target for target in S.values if target != S.BOOKED]
    forbidden = [target for target in targets if target not in VISIT_TRANSITIONS[status]]
    events = Event.objects.filter(visit=visit).count()
    accepted = []
    for target in forbidden:
        try:
            move(target, Visit.objects.get(pk=visit.pk), dispatcher, engineer2)
        except RuleViolation as refusal:
            assert refusal.status == 409 and refusal.message, (target, refusal.code)
        else:
            accepted.append(target)
    assert not accepted, f"{status} → {accepted} allowed by a service, forbidden by the map"
    visit.refresh_from_db()
    assert visit.status == status
    assert Event.objects.filter(visit=visit).count() == events


def test_the_map_names_every_status_and_only_statuses():
    assert set(VISIT_TRANSITIONS) == set(S.values)
    assert Visit.states.reachable(S.BOOKED) >= {S.ARRIVED, S.REPLIED}
    assert all(Visit.states.is_final(status) for status in (S.RESCHEDULED, S.CANCELLED))


# What the engineer's page offers in each status, as walk_to leaves the visit (booked without
# the kit; arrived without a knock yet; no answer with the note still to file).
OFFERED = {
    S.BOOKED: {"can_reconfirm", "can_notify_late"},
    S.CONFIRMED: {"can_notify_late", "can_depart", "can_arrive"},
    S.EN_ROUTE: {"can_notify_late", "can_arrive"},
    S.ARRIVED: {"can_knock", "can_start_work", "can_hand_over", "can_report_complaint"},
    S.AT_WORK: {"can_measure", "can_record_result", "can_hand_over", "can_report_complaint"},
    S.NO_ANSWER: {"can_file_note", "can_report_complaint"},
    S.RESOLVED: {"can_record_no_survey", "can_leave", "can_report_complaint"},
    S.UNRESOLVED: {"can_reply", "can_record_no_survey", "can_leave", "can_report_complaint"},
    S.REPLIED: {"can_record_no_survey", "can_leave", "can_report_complaint"},
    S.RESCHEDULED: set(),
    S.CANCELLED: set(),
    S.HANDED_OVER: set(),
}
# The form of each step on the engineer's page (its URL name).
FORM_OF = {
    "can_reconfirm": "reconfirm",
    "can_notify_late": "late",
    "can_depart": "depart",
    "can_arrive": "arrive",
    "can_knock": "knock",
    "can_record_failed_call": "call_failed",
    "can_mark_no_answer": "no_answer",
    "can_file_note": "note",
    "can_start_work": "start_work",
    "can_measure": "measure",
    "can_record_result": "outcome",
    "can_reply": "reply",
    "can_hand_over": "handover",
    "can_report_complaint": "complaint",
    "can_record_no_survey": "no_survey",
    "can_leave": "leave",
}
FORM = re.compile(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', re.S)


def enabled_forms(html: str, visit: Visit) -> set[str]:
    """The URL names of the step forms whose button can be pressed."""
    names = {reverse(f"visits:{name}", args=[visit.pk]): name for name in FORM_OF.values()}
    return {
        names[action]
        for action, body in FORM.findall(html)
        if action in names and not re.search(r"<button[^>]*\bdisabled\b", body)
    }


def test_every_step_has_a_form_on_the_page():
    assert set(FORM_OF) == set(NextSteps.steps())


@pytest.mark.parametrize("status", S.values)
def test_the_page_offers_exactly_the_steps_the_map_allows(
    status, clock, visit, dispatcher, login, api, engineer2
):
    """docs/rules.md R21: the engineer's page shows a step's button only when it may be taken
    now; the API's visit detail says the same, for the phone app."""
    visit = walk_to(status, visit, clock, dispatcher, engineer2)
    assert next_steps(Visit.objects.get(pk=visit.pk)).offered() == OFFERED[status]
    client = login(visit.engineer)
    html = client.get(reverse("visits:detail", args=[visit.pk])).content.decode()
    assert enabled_forms(html, visit) == {FORM_OF[step] for step in OFFERED[status]}
    api.force_authenticate(visit.engineer)
    flags = api.get(f"/api/visits/{visit.pk}/").json()["next_steps"]
    assert {step for step, may in flags.items() if may} == OFFERED[status]
    assert set(flags) == set(NextSteps.steps())


def test_r13_at_the_door_the_steps_follow_the_knock_the_call_and_the_wait(clock, visit, login):
    """docs/rules.md R13: the call from the door comes after the knock, "no answer" after the
    wait and the call; each button is offered only then."""
    arrived(visit)
    engineer = visit.engineer

    def offered():
        return next_steps(Visit.objects.get(pk=visit.pk)).offered()

    assert {"can_knock"} <= offered() and "can_record_failed_call" not in offered()
    services.record_knock(actor=engineer, visit=visit)
    assert "can_knock" not in offered() and "can_record_failed_call" in offered()
    services.record_failed_call(actor=engineer, visit=visit)
    assert "can_mark_no_answer" not in offered()
    clock.shift(minutes(10))
    assert "can_mark_no_answer" in offered()
    html = login(engineer).get(reverse("visits:detail", args=[visit.pk])).content.decode()
    assert {"call_failed", "no_answer", "start_work"} <= enabled_forms(html, visit)


def test_r24_no_survey_reason_and_leaving_leave_nothing_to_offer(
    clock, visit, dispatcher, engineer2
):
    """docs/rules.md R24: once the reason is recorded the page stops offering it; once the
    engineer has left, leaving is over too."""
    from surveys.models import CardItem
    from surveys.services import hand_over_card

    visit = walk_to(S.RESOLVED, visit, clock, dispatcher, engineer2)
    engineer = visit.engineer
    services.record_no_survey(actor=engineer, visit=visit, reason="refused")
    steps = next_steps(Visit.objects.get(pk=visit.pk))
    assert not steps.can_record_no_survey and steps.can_leave
    hand_over_card(actor=engineer, visit=visit, item=CardItem.CARD)
    services.leave_visit(actor=engineer, visit=visit, complained=False)
    assert next_steps(Visit.objects.get(pk=visit.pk)).offered() == {"can_report_complaint"}
