from django.urls import path

from .views import coverage, desk, field

app_name = "visits"
urlpatterns = [
    # The desk (dispatchers, supervisors).
    path("board/", desk.board, name="board"),
    path("book/<str:number>/", desk.book, name="book"),
    path("check/", desk.check, name="check"),
    path("<int:pk>/reschedule/", desk.reschedule, name="reschedule"),
    path("<int:pk>/cancel/", desk.cancel, name="cancel"),
    path("requests/<int:pk>/decide/", desk.decide, name="decide"),
    # The field (the visit's engineer), in the order of the five things (R21).
    path("today/", field.today, name="today"),
    path("<int:pk>/", field.detail, name="detail"),
    path("<int:pk>/reconfirm/", field.reconfirm, name="reconfirm"),
    path("<int:pk>/depart/", field.depart, name="depart"),
    path("<int:pk>/late/", field.late, name="late"),
    path("<int:pk>/arrive/", field.arrive, name="arrive"),
    path("<int:pk>/knock/", field.knock, name="knock"),
    path("<int:pk>/call-failed/", field.call_failed, name="call_failed"),
    path("<int:pk>/no-answer/", field.no_answer, name="no_answer"),
    path("<int:pk>/note/", field.note, name="note"),
    path("<int:pk>/start/", field.start, name="start_work"),
    path("<int:pk>/measure/", field.measure, name="measure"),
    path("<int:pk>/import-log/", field.import_log, name="import_log"),
    path("<int:pk>/outcome/", field.outcome, name="outcome"),
    path("<int:pk>/reply/", field.reply, name="reply"),
    path("<int:pk>/handover/", field.handover, name="handover"),
    # R16: the customer's screen on the engineer's phone, where the customer types their code.
    path("<int:pk>/handover/consent/", field.handover_consent, name="handover_consent"),
    path("<int:pk>/complaint/", field.complaint, name="complaint"),
    path("<int:pk>/no-survey/", field.no_survey, name="no_survey"),
    path("<int:pk>/leave/", field.leave, name="leave"),
    # The supervisor's grading thresholds of network tests (issue 18).
    path("grading/", coverage.thresholds, name="thresholds"),
    path("grading/<int:pk>/", coverage.update_thresholds, name="update_thresholds"),
    path("grading/new/", coverage.add_thresholds, name="add_thresholds"),
    path("<int:pk>/complaint-follow-up/", field.complaint_follow_up, name="complaint_follow_up"),
]
