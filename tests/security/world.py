"""One small world with an object of every kind a URL names, built through the services, so each
URL of the project can be visited by each role (the permission matrix and schemathesis)."""

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.urls import URLPattern, URLResolver, get_resolver

from checklists.models import ChecklistItem
from dispatch.models import Notification, Ticket, TransferRequest, WaiverRequest
from surveys import services as surveys
from surveys.models import Question, SurveyResponse
from tests.factories import make_user, open_ticket
from tests.surveys.factories import GOOD_ANSWERS, ended_visit, measure, strokes
from visits.models import GradeThresholds, RescheduleRequest, Visit


@dataclass
class World:
    dispatcher: User
    supervisor: User
    engineer: User
    engineer2: User
    ticket: Ticket
    # The engineer's visit (work ended, a survey link out) and another engineer's visit.
    visit: Visit
    other_visit: Visit
    response: SurveyResponse
    other_response: SurveyResponse
    request: RescheduleRequest
    other_request: RescheduleRequest
    # R4: a second transfer of `ticket` waiting for a supervisor.
    transfer_request: TransferRequest
    # R6, R13, R15: a waiver of a promise owed on `ticket`, waiting for a supervisor.
    waiver_request: WaiverRequest
    item: ChecklistItem
    notification: Notification
    question: Question
    thresholds: GradeThresholds
    # The customer's single-use survey link for `visit`, in clear (what the SMS carries).
    token: str
    # Issue 17: the customer's appointment link of `visit`, in clear (what the SMS carries).
    link_token: str = ""


def _signed(visit: Visit, engineer: User) -> SurveyResponse:
    issued = surveys.issue_link(
        actor=engineer, visit=visit, channel="sms", base_url="https://seed.example.cn/"
    )
    return surveys.sign_survey(
        actor=AnonymousUser(),
        token=issued.token,
        answers=dict(GOOD_ANSWERS),
        work_order_confirmed=True,
        strokes=strokes(),
        ip_address="203.0.113.7",
        user_agent="Mozilla/5.0 (Linux; Android 14) Mobile",
    )


def _request(visit: Visit, engineer: User) -> RescheduleRequest:
    from datetime import timedelta

    return RescheduleRequest.objects.create(
        visit=visit,
        requested_by=engineer,
        reason="台风预警，道路封闭",
        new_start=visit.start + timedelta(days=2),
        new_end=visit.end + timedelta(days=2),
        new_engineer=engineer,
    )


def build_world() -> World:
    dispatcher = make_user("dispatcher", username="sec_dispatcher")
    supervisor = make_user("supervisor", username="sec_supervisor")
    engineer = make_user("engineer", username="sec_engineer")
    engineer2 = make_user("engineer", username="sec_engineer2")
    ticket = open_ticket(dispatcher)
    other_ticket = open_ticket(dispatcher, customer_name="钱女士", phone="13900139000")

    visits = []
    for owner, on in ((engineer, ticket), (engineer, ticket), (engineer2, other_ticket)):
        visit = ended_visit(on, owner, dispatcher)
        measure(visit, phase="before")
        measure(visit, phase="after", rsrp="-86.0", download="48.75")
        visits.append(visit)
    signed_own, visit, other_visit = visits
    response = _signed(signed_own, engineer)
    other_response = _signed(other_visit, engineer2)
    issued = surveys.issue_link(
        actor=engineer, visit=visit, channel="sms", base_url="https://seed.example.cn/"
    )
    return World(
        dispatcher=dispatcher,
        supervisor=supervisor,
        engineer=engineer,
        engineer2=engineer2,
        ticket=ticket,
        visit=visit,
        other_visit=other_visit,
        response=response,
        other_response=other_response,
        request=_request(visit, engineer),
        other_request=_request(other_visit, engineer2),
        transfer_request=TransferRequest.objects.create(
            ticket=ticket, requested_by=dispatcher, to_user=supervisor, note="客户已说明全部情况"
        ),
        waiver_request=WaiverRequest.objects.create(
            ticket=ticket, asked_by=dispatcher, resolution="已恢复信号", reason="客户无法回访"
        ),
        item=ChecklistItem.objects.order_by("pk").first(),
        notification=Notification.objects.order_by("pk").first(),
        question=Question.objects.order_by("pk").first(),
        thresholds=GradeThresholds.objects.order_by("pk").first(),
        token=issued.token,
        link_token=_appointment_link(visit),
    )


def _appointment_link(visit: Visit) -> str:
    from visits.models import CustomerLink
    from visits.services.links import issue_link, link_token

    link = CustomerLink.objects.filter(visit=visit).first() or issue_link(visit)
    return link_token(link)


def url_patterns():
    """Every URL pattern of the project as (name, route), names with their namespace."""
    for name, route, _ in url_callbacks():
        yield name, route


def url_callbacks(resolver=None, prefix="", namespace=""):
    """Every URL pattern as (name, route, view callback), for reading which methods it serves."""
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
            yield from url_callbacks(p, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else (p.name or "")
            yield name, prefix + str(p.pattern), p.callback
