"""R21, the five things (上门五件事): where a visit stands in the engineer's flow.

1 call (re-confirm, R8) · 2 kit (R18–R20) · 3 enter (arrive R9, door R13/R14) · 4 work
(measurements, outcome R15) · 5 leave (result, reply, survey). Read by the engineer's page;
where the visit stands comes from its transition map (visits.next_steps).
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .models import Visit, VisitStatus
from .next_steps import arrival_ahead, at_the_door, at_work, closed, note_filed

TITLES = {
    1: _("Call"),
    2: _("Kit"),
    3: _("Enter"),
    4: _("Work"),
    5: _("Leave"),
}


@dataclass(frozen=True)
class Step:
    number: int
    title: str
    state: str  # "done", "current" or "todo"

    @property
    def done(self) -> bool:
        return self.state == "done"

    @property
    def current(self) -> bool:
        return self.state == "current"


def current_step(visit: Visit) -> int:
    if arrival_ahead(visit):
        # R8: re-confirming is the first call; then the kit, then the door.
        if VisitStatus.CONFIRMED in visit.can_transition_to:
            return 1
        return 3 if visit.kit_completed_at else 2
    if at_the_door(visit):
        return 3
    if visit.no_answer_at:
        return 5 if note_filed(visit) else 3
    if at_work(visit):
        return 4
    return 5


def steps(visit: Visit) -> list[Step]:
    if closed(visit):
        return []  # the work goes on in another visit (a handover's: the receiving engineer's)
    now = current_step(visit)
    # R21/R24: "leave" is done only once the engineer has left: card handed over, survey signed
    # or its absence explained, the complaint question answered (visits.services.leave_visit).
    # A visit nobody answered ends with the note filed.
    finished = visit.left_at is not None or (visit.no_answer_at is not None and now == 5)
    result = []
    for number, title in TITLES.items():
        if number < now or (finished and number == now):
            state = "done"
        elif number == now:
            state = "current"
        else:
            state = "todo"
        # The kit may be ticked ahead of time; show it done as soon as it is.
        if number == 2 and visit.kit_completed_at and state != "done":
            state = "done"
        result.append(Step(number, str(title), state))
    return result
