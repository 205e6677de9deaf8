"""REST API for visits: the same selectors and services as the pages (docs/design.md#reads).

Scoped by role and object: an engineer lists and acts on their own visits only (another's visit
is a 404); booking, rescheduling and cancelling are the desk's. A broken rule answers
400/403/409 with {"code", "detail"}.

The package by topic: `serializers` (a visit as the API shows it, and what the topics share),
`viewset` (VisitViewSet: the routes' scope and who acts), and one module a topic, each with its
input serializers and its actions (a mixin of VisitViewSet): `booking`, `changes` (reschedule,
cancel, the supervisor's requests), `field` (the engineer's steps), `measurements`, `handover`.
The URL conf (visits/api_urls.py) is unchanged.
"""

from .booking import (
    AvailabilityQuerySerializer,
    AvailabilitySerializer,
    BookingActions,
    BookSerializer,
    BusySerializer,
)
from .changes import CancelSerializer, ChangeActions, RescheduleRequestViewSet, RescheduleSerializer
from .field import (
    ArrivalSerializer,
    DoorChecksSerializer,
    FieldActions,
    LateNoticeSerializer,
    LeaveSerializer,
    NoSurveySerializer,
    NoteSerializer,
    OutcomeSerializer,
    ReplySerializer,
)
from .handover import HandoverActions, HandoverCodeSerializer, HandoverRequestSerializer
from .measurements import (
    MeasurementActions,
    MeasurementImportSerializer,
    MeasurementLogSerializer,
    MeasurementLogsSerializer,
    VerdictSerializer,
)
from .serializers import (
    EVERYONE,
    NO_BODY,
    ConfirmWordingField,
    HandoverInSerializer,
    HandoverSerializer,
    MeasurementSerializer,
    NextStepsSerializer,
    RescheduleRequestSerializer,
    User,
    UsernameField,
    ViolationSerializer,
    VisitDeadlineSerializer,
    VisitDetailSerializer,
    VisitFilter,
    VisitNoteJsonSerializer,
    VisitNoteSerializer,
    VisitSerializer,
)
from .viewset import VisitViewSet

__all__ = [
    "ArrivalSerializer",
    "AvailabilityQuerySerializer",
    "AvailabilitySerializer",
    "BookSerializer",
    "BookingActions",
    "BusySerializer",
    "CancelSerializer",
    "ChangeActions",
    "ConfirmWordingField",
    "DoorChecksSerializer",
    "EVERYONE",
    "FieldActions",
    "HandoverActions",
    "HandoverCodeSerializer",
    "HandoverInSerializer",
    "HandoverRequestSerializer",
    "HandoverSerializer",
    "LateNoticeSerializer",
    "LeaveSerializer",
    "MeasurementActions",
    "MeasurementImportSerializer",
    "MeasurementLogSerializer",
    "MeasurementLogsSerializer",
    "MeasurementSerializer",
    "NO_BODY",
    "NextStepsSerializer",
    "NoSurveySerializer",
    "NoteSerializer",
    "OutcomeSerializer",
    "ReplySerializer",
    "RescheduleRequestSerializer",
    "RescheduleRequestViewSet",
    "RescheduleSerializer",
    "User",
    "UsernameField",
    "VerdictSerializer",
    "ViolationSerializer",
    "VisitDeadlineSerializer",
    "VisitDetailSerializer",
    "VisitFilter",
    "VisitNoteJsonSerializer",
    "VisitNoteSerializer",
    "VisitSerializer",
    "VisitViewSet",
]
