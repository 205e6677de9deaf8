"""What may happen next on a visit, read from its transition map (Visit.states) and the rules, in
one place (docs/design.md#state-maps).

The engineer's page shows a step's button only when `next_steps(visit)` says it may be taken, and
the API's visit detail carries the same answer (`next_steps`), so the phone app does the same.
The services ask the same questions (`arrival_ahead`, `at_the_door`, `at_work`, `under_way`,
`work_ended`) before they act, and decide again under the row lock: a page that is out of date
gets a sentence, never a step the map forbids.
"""

from dataclasses import asdict, dataclass, field, fields
from datetime import datetime

from django.utils import timezone

from dispatch.rules import no_answer_wait

from . import extensions
from .models import INACTIVE_STATUSES, WORK_ENDED_STATUSES, Visit, VisitStatus

S = VisitStatus
# Closed before its work ended here: moved, called off, or handed to a colleague (R11, R16). Its
# steps are over; the work, if any, goes on in its successor.
CLOSED_STATUSES = INACTIVE_STATUSES | {S.HANDED_OVER}


def arrival_ahead(visit: Visit) -> bool:
    """The engineer hasn't reached the customer and still may: the map leads on to "arrived".
    Before arrival: the late notice (R10), the kit (R20), the arrival itself (R9)."""
    return S.ARRIVED in Visit.states.reachable(visit.status)


def at_the_door(visit: Visit) -> bool:
    """Arrived, and the door not yet opened: nobody answering is still possible (R13), and so is
    going in (R14)."""
    return S.NO_ANSWER in visit.can_transition_to


def at_work(visit: Visit) -> bool:
    """Working on site: the result is what comes next (network tests, then the outcome)."""
    return bool({S.RESOLVED, S.UNRESOLVED} & visit.can_transition_to)


def under_way(visit: Visit) -> bool:
    """R16: on site with the work not finished: the map lets a colleague take it over."""
    return S.HANDED_OVER in visit.can_transition_to


def closed(visit: Visit) -> bool:
    """Rescheduled, cancelled or handed over: nothing more is done on this visit."""
    return visit.status in CLOSED_STATUSES


def work_ended(visit: Visit) -> bool:
    """R22: the result is recorded; the reply, the survey and leaving follow."""
    return visit.status in WORK_ENDED_STATUSES


def note_filed(visit: Visit) -> bool:
    return getattr(visit, "note", None) is not None


def signed(visit: Visit) -> bool:
    """R24: the customer signed the survey and work order (the surveys app reports it)."""
    return extensions.fact(extensions.SURVEY_SIGNED, visit)


@dataclass(frozen=True)
class NextSteps:
    """The steps the visit's engineer may take now (R21), each named after its service.

    A step that needs more than the state (a form's input, the R20 kit, the R13 wait) is
    offered when the state allows it and the facts it depends on are there; the service
    explains anything else."""

    can_reconfirm: bool = field(metadata={"step": "R8 reconfirm_visit"})
    can_notify_late: bool = field(metadata={"step": "R10 notify_late"})
    can_depart: bool = field(metadata={"step": "depart_for_visit"})
    can_arrive: bool = field(metadata={"step": "R9, R20 record_arrival"})
    can_knock: bool = field(metadata={"step": "R13 record_knock"})
    can_record_failed_call: bool = field(metadata={"step": "R13 record_failed_call"})
    can_mark_no_answer: bool = field(metadata={"step": "R13 mark_no_answer"})
    can_file_note: bool = field(metadata={"step": "R13 file_visit_note"})
    can_start_work: bool = field(metadata={"step": "R14 start_work"})
    can_measure: bool = field(metadata={"step": "add_measurement, import_measurement_log"})
    can_record_result: bool = field(metadata={"step": "R15, R24 record_outcome"})
    can_reply: bool = field(metadata={"step": "R15 record_reply"})
    can_hand_over: bool = field(metadata={"step": "R16 hand_over_visit"})
    can_report_complaint: bool = field(metadata={"step": "R17 report_complaint_on_site"})
    can_record_no_survey: bool = field(metadata={"step": "R22, R24 record_no_survey"})
    can_leave: bool = field(metadata={"step": "R21, R24 leave_visit"})
    # Where the visit stands, for the page's sections.
    arrival_ahead: bool
    at_the_door: bool
    work_ended: bool
    handed_over: bool

    @classmethod
    def steps(cls) -> dict[str, str]:
        """Each flag of a step, with the rule and the service that takes it."""
        return {f.name: f.metadata["step"] for f in fields(cls) if "step" in f.metadata}

    def actions(self) -> dict[str, bool]:
        """The steps alone, as the API gives them."""
        return {name: getattr(self, name) for name in self.steps()}

    def offered(self) -> frozenset[str]:
        return frozenset(name for name, may in self.actions().items() if may)

    def as_dict(self) -> dict[str, bool]:
        return asdict(self)


def next_steps(visit: Visit, now: datetime | None = None) -> NextSteps:
    now = now or timezone.now()
    moves = visit.can_transition_to
    before = arrival_ahead(visit)
    door = at_the_door(visit)
    working = at_work(visit)
    ended = work_ended(visit)
    knocked = visit.knocked_at is not None
    waited = knocked and now >= visit.knocked_at + no_answer_wait()
    not_left = visit.left_at is None
    return NextSteps(
        can_reconfirm=S.CONFIRMED in moves,
        can_notify_late=before,
        can_depart=S.EN_ROUTE in moves,
        # R20: the kit is complete (R19's self-check window is the service's to judge).
        can_arrive=S.ARRIVED in moves and visit.kit_completed_at is not None,
        can_knock=door and not knocked,
        # R13: the call from the door comes after the knock.
        can_record_failed_call=door and knocked,
        # R13: after knocking, the wait, and an unanswered call.
        can_mark_no_answer=S.NO_ANSWER in moves and waited and visit.call_failed_at is not None,
        can_file_note=visit.status == S.NO_ANSWER and not note_filed(visit),
        can_start_work=S.AT_WORK in moves,
        can_measure=working,
        can_record_result=working,
        can_reply=S.REPLIED in moves,
        can_hand_over=under_way(visit),
        can_report_complaint=(
            visit.arrived_at is not None and not closed(visit) and not visit.complaint_on_site
        ),
        can_record_no_survey=(
            ended and not_left and not visit.no_survey_reason and not signed(visit)
        ),
        can_leave=ended and not_left,
        arrival_ahead=before,
        at_the_door=door,
        work_ended=ended,
        handed_over=visit.status == S.HANDED_OVER,
    )
