"""The permission matrix: every URL of the project, every method, visited by every role (issues 8
and 11).

URLs are enumerated from the resolver (the URL conf and the API router), so a URL added without
a row here fails `test_every_url_is_in_the_matrix`. Each row names the object its URL needs and
the answer each role gets to GET, POST, PUT, PATCH and DELETE, in the order of COLUMNS:

    anonymous  dispatcher  supervisor  engineer (own object)  engineer (another engineer's object)

Codes: L = redirect to the login page, A = redirect to the admin's login page, otherwise the
HTTP status; X = 405 for everyone (not a method of this route). An anonymous visitor is sent to
the login page (pages) or refused with 401 (API); a role without access gets 403; an engineer
asking for another engineer's visit (or its kit, survey, reschedule request) gets 404, as if it
did not exist (R21: an engineer sees only their own visits). The field steps are the visit's
engineer's alone and the desk steps the desk's: anyone else gets 403, before the body is read.
Bodies are empty: a 400/409 shows the request reached the rule checks, which only the roles
allowed through get to; every request runs in a savepoint rolled back afterwards.

Which methods a route serves is read from its view as well (a viewset's router mapping, a class
view's handlers, a function view's require_http_methods), and must be the methods its row
answers, so a method added to a view without its row fails
`test_the_rows_serve_what_the_views_declare`.
"""

import inspect
import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.security.matrix import COLUMNS, METHODS, Clients
from tests.security.world import build_world, url_callbacks, url_patterns

pytestmark = pytest.mark.django_db

# Not a method of this route, for anyone.
X = "405 405 405 405 405"

# name: (object kind, GET, POST, PUT, PATCH, DELETE)
MATRIX = {
    "login": ("", "200 302 302 302 302", "200 302 302 302 302", X, X, X),
    "logout": ("", X, "L L L L L", X, X, X),
    "set_language": ("", "302 302 302 302 302", "302 302 302 302 302", X, X, X),
    # Open to all, no secret in the answer; 503 as no sweep has run in this world.
    "health": ("", "503 503 503 503 503", X, X, X, X),
    "health-live": ("", "200 200 200 200 200", X, X, X, X),
    "api-dashboard": (
        "",
        "401 403 200 403 403",
        "401 403 405 403 403",
        "401 403 405 403 403",
        "401 403 405 403 403",
        "401 403 405 403 403",
    ),
    "ticket-list": (
        "",
        "401 200 200 403 403",
        "401 400 400 403 403",
        "401 405 405 403 403",
        "401 405 405 403 403",
        "401 405 405 403 403",
    ),
    "ticket-detail": (
        "ticket",
        "401 200 200 403 403",
        "401 405 405 403 403",
        "401 405 405 403 403",
        # Issue 15: the owner (the dispatcher of this world) or a supervisor corrects it.
        "401 200 200 403 403",
        "401 405 405 403 403",
    ),
    "ticket-close": (
        "ticket",
        "401 405 405 403 403",
        "401 400 400 403 403",
        "401 405 405 403 403",
        "401 405 405 403 403",
        "401 405 405 403 403",
    ),
    "ticket-contact": (
        "ticket",
        "401 405 405 403 403",
        "401 400 400 403 403",
        "401 405 405 403 403",
        "401 405 405 403 403",
        "401 405 405 403 403",
    ),
    "ticket-transfer": (
        "ticket",
        "401 405 405 403 403",
        "401 400 400 403 403",
        "401 405 405 403 403",
        "401 405 405 403 403",
        "401 405 405 403 403",
    ),
    # R4: the owner asks a supervisor for a second transfer; a supervisor decides.
    "ticket-transfer-request": (
        "ticket",
        "401 405 405 403 403",
        "401 400 400 403 403",
        "401 405 405 403 403",
        "401 405 405 403 403",
        "401 405 405 403 403",
    ),
    "transfer-request-list": (
        "",
        "401 200 200 403 403",
        "401 405 405 403 403",
        "401 405 405 403 403",
        "401 405 405 403 403",
        "401 405 405 403 403",
    ),
    "transfer-request-approve": (
        "transfer",
        "401 405 405 403 403",
        "401 403 200 403 403",
        "401 405 405 403 403",
        "401 405 405 403 403",
        "401 405 405 403 403",
    ),
    "transfer-request-reject": (
        "transfer",
        "401 405 405 403 403",
        "401 403 200 403 403",
        "401 405 405 403 403",
        "401 405 405 403 403",
        "401 405 405 403 403",
    ),
    # R6, R13, R15: the owner asks a supervisor to waive a promise owed; a supervisor decides.
    "ticket-waiver-request": (
        "ticket",
        "401 405 405 403 403",
        "401 400 400 403 403",
        "401 405 405 403 403",
        "401 405 405 403 403",
        "401 405 405 403 403",
    ),
    "waiver-request-list": (
        "",
        "401 200 200 403 403",
        "401 405 405 403 403",
        "401 405 405 403 403",
        "401 405 405 403 403",
        "401 405 405 403 403",
    ),
    "waiver-request-approve": (
        "waiver",
        "401 405 405 403 403",
        "401 403 200 403 403",
        "401 405 405 403 403",
        "401 405 405 403 403",
        "401 405 405 403 403",
    ),
    "waiver-request-reject": (
        "waiver",
        "401 405 405 403 403",
        "401 403 200 403 403",
        "401 405 405 403 403",
        "401 405 405 403 403",
        "401 405 405 403 403",
    ),
    "visit-list": (
        "",
        "401 200 200 200 200",
        "401 400 400 400 400",
        "401 405 405 405 405",
        "401 405 405 405 405",
        "401 405 405 405 405",
    ),
    "visit-availability": (
        "",
        "401 200 200 200 403",
        "401 405 405 405 405",
        "401 405 405 405 405",
        "401 405 405 405 405",
        "401 405 405 405 405",
    ),
    "visit-detail": (
        "visit",
        "401 200 200 200 404",
        "401 405 405 405 405",
        "401 405 405 405 405",
        "401 405 405 405 405",
        "401 405 405 405 405",
    ),
    "visit-arrive": (
        "visit",
        "401 405 405 405 405",
        "401 403 403 409 404",
        "401 405 405 405 405",
        "401 405 405 405 405",
        "401 405 405 405 405",
    ),
    "visit-call-failed": (
        "visit",
        "401 405 405 405 405",
        "401 403 403 409 404",
        "401 405 405 405 405",
        "401 405 405 405 405",
        "401 405 405 405 405",
    ),
    "visit-cancel": (
        "visit",
        "401 405 405 405 405",
        "401 400 400 403 404",
        "401 405 405 405 405",
        "401 405 405 405 405",
        "401 405 405 405 405",
    ),
    "visit-complaint": (
        "visit",
        "401 405 405 405 405",
        "401 403 403 400 404",
        "401 405 405 405 405",
        "401 405 405 405 405",
        "401 405 405 405 405",
    ),
    "visit-leave": (
        "visit",
        "401 405 405 405 405",
        "401 403 403 400 404",
        "401 405 405 405 405",
        "401 405 405 405 405",
        "401 405 405 405 405",
    ),
    "visit-no-survey": (
        "visit",
        "401 405 405 405 405",
        "401 403 403 400 404",
        "401 405 405 405 405",
        "401 405 405 405 405",
        "401 405 405 405 405",
    ),
    "visit-complaint-follow-up": (
        "visit",
        "401 405 405 405 405",
        "401 403 400 403 404",
        "401 405 405 405 405",
        "401 405 405 405 405",
        "401 405 405 405 405",
    ),
    "visit-depart": (
        "visit",
        "401 405 405 405 405",
        "401 403 403 409 404",
        "401 405 405 405 405",
        "401 405 405 405 405",
        "401 405 405 405 405",
    ),
    "visit-handover": (
        "visit",
        "401 405 405 405 405",
        "401 403 403 400 404",
        "401 405 405 405 405",
        "401 405 405 405 405",
        "401 405 405 405 405",
    ),
    "visit-handover-confirm": (
        "visit",
        "401 405 405 405 405",
        "401 403 403 400 404",
        "401 405 405 405 405",
        "401 405 405 405 405",
        "401 405 405 405 405",
    ),
    "visit-knock": (
        "visit",
        "401 405 405 405 405",
        "401 403 403 409 404",
        "401 405 405 405 405",
        "401 405 405 405 405",
        "401 405 405 405 405",
    ),
    "visit-late-notice": (
        "visit",
        "401 405 405 405 405",
        "401 403 403 400 404",
        "401 405 405 405 405",
        "401 405 405 405 405",
        "401 405 405 405 405",
    ),
    "visit-measurement-logs": (
        "visit",
        "401 200 200 200 404",
        "401 403 403 400 404",
        "401 405 405 405 405",
        "401 405 405 405 405",
        "401 405 405 405 405",
    ),
    "visit-measurements": (
        "visit",
        "401 200 200 200 404",
        "401 403 403 400 404",
        "401 405 405 405 405",
        "401 405 405 405 405",
        "401 405 405 405 405",
    ),
    "visit-no-answer": (
        "visit",
        "401 405 405 405 405",
        "401 403 403 409 404",
        "401 405 405 405 405",
        "401 405 405 405 405",
        "401 405 405 405 405",
    ),
    "visit-note": (
        "visit",
        "401 405 405 405 405",
        "401 403 403 400 404",
        "401 405 405 405 405",
        "401 405 405 405 405",
        "401 405 405 405 405",
    ),
    "visit-outcome": (
        "visit",
        "401 405 405 405 405",
        "401 403 403 400 404",
        "401 405 405 405 405",
        "401 405 405 405 405",
        "401 405 405 405 405",
    ),
    "visit-reconfirm": (
        "visit",
        "401 405 405 405 405",
        "401 403 403 409 404",
        "401 405 405 405 405",
        "401 405 405 405 405",
        "401 405 405 405 405",
    ),
    "visit-reply": (
        "visit",
        "401 405 405 405 405",
        "401 400 403 400 404",
        "401 405 405 405 405",
        "401 405 405 405 405",
        "401 405 405 405 405",
    ),
    "visit-request-cancel": (
        "visit",
        "401 405 405 405 405",
        "401 400 400 403 404",
        "401 405 405 405 405",
        "401 405 405 405 405",
        "401 405 405 405 405",
    ),
    "visit-request-reschedule": (
        "visit",
        "401 405 405 405 405",
        "401 400 400 403 404",
        "401 405 405 405 405",
        "401 405 405 405 405",
        "401 405 405 405 405",
    ),
    "visit-reschedule": (
        "visit",
        "401 405 405 405 405",
        "401 400 400 403 404",
        "401 405 405 405 405",
        "401 405 405 405 405",
        "401 405 405 405 405",
    ),
    "visit-start-work": (
        "visit",
        "401 405 405 405 405",
        "401 403 403 400 404",
        "401 405 405 405 405",
        "401 405 405 405 405",
        "401 405 405 405 405",
    ),
    "reschedule-request-list": (
        "",
        "401 200 200 403 403",
        "401 405 405 403 403",
        "401 405 405 403 403",
        "401 405 405 403 403",
        "401 405 405 403 403",
    ),
    "reschedule-request-approve": (
        "request",
        "401 405 405 403 403",
        "401 403 409 403 403",
        "401 405 405 403 403",
        "401 405 405 403 403",
        "401 405 405 403 403",
    ),
    "reschedule-request-reject": (
        "request",
        "401 405 405 403 403",
        "401 403 200 403 403",
        "401 405 405 403 403",
        "401 405 405 403 403",
        "401 405 405 403 403",
    ),
    "kit-visit-detail": (
        "visit",
        "401 200 200 200 404",
        "401 405 405 405 405",
        "401 405 405 405 405",
        "401 405 405 405 405",
        "401 405 405 405 405",
    ),
    "kit-visit-gate": (
        "visit",
        "401 409 409 409 404",
        "401 405 405 405 405",
        "401 405 405 405 405",
        "401 405 405 405 405",
        "401 405 405 405 405",
    ),
    "kit-visit-tick": (
        "visit",
        "401 405 405 405 405",
        "401 403 403 400 404",
        "401 405 405 405 405",
        "401 405 405 405 405",
        "401 405 405 405 405",
    ),
    "kit-item-list": (
        "",
        "401 403 200 403 403",
        "401 403 400 403 403",
        "401 403 405 403 403",
        "401 403 405 403 403",
        "401 403 405 403 403",
    ),
    "kit-item-detail": (
        "item",
        "401 403 405 403 403",
        "401 403 405 403 403",
        "401 403 400 403 403",
        "401 403 200 403 403",
        "401 403 405 403 403",
    ),
    "kit-item-move": (
        "item",
        "401 403 405 403 403",
        "401 403 400 403 403",
        "401 403 405 403 403",
        "401 403 405 403 403",
        "401 403 405 403 403",
    ),
    "kit-item-restore": (
        "item",
        "401 403 405 403 403",
        "401 403 200 403 403",
        "401 403 405 403 403",
        "401 403 405 403 403",
        "401 403 405 403 403",
    ),
    "kit-item-retire": (
        "item",
        "401 403 405 403 403",
        "401 403 200 403 403",
        "401 403 405 403 403",
        "401 403 405 403 403",
        "401 403 405 403 403",
    ),
    "kit-report-list": (
        "",
        "401 403 200 403 403",
        "401 403 405 403 403",
        "401 403 405 403 403",
        "401 403 405 403 403",
        "401 403 405 403 403",
    ),
    "survey-link-list": (
        "",
        "401 405 405 405 405",
        "401 201 201 201 404",
        "401 405 405 405 405",
        "401 405 405 405 405",
        "401 405 405 405 405",
    ),
    "survey-response-list": (
        "",
        "401 200 200 200 200",
        "401 405 405 405 405",
        "401 405 405 405 405",
        "401 405 405 405 405",
        "401 405 405 405 405",
    ),
    "survey-response-detail": (
        "response",
        "401 200 200 200 404",
        "401 405 405 405 405",
        "401 405 405 405 405",
        "401 405 405 405 405",
        "401 405 405 405 405",
    ),
    "survey-question-list": (
        "",
        "401 200 200 200 200",
        "401 405 405 405 405",
        "401 405 405 405 405",
        "401 405 405 405 405",
        "401 405 405 405 405",
    ),
    "survey-question-detail": (
        "question",
        "401 200 200 200 200",
        "401 405 405 405 405",
        "401 405 405 405 405",
        "401 405 405 405 405",
        "401 405 405 405 405",
    ),
    # Staff only: the schema answers 401 to the anonymous, the docs page sends them to log in.
    "api-schema": ("", "401 200 200 200 200", *["401 405 405 405 405"] * 4),
    "api-docs": ("", "L 200 200 200 200", *["L 405 405 405 405"] * 4),
    "ticket-suggestions": (
        "ticket",
        "401 200 200 403 403",
        "401 405 405 403 403",
        "401 405 405 403 403",
        "401 405 405 403 403",
        "401 405 405 403 403",
    ),
    # Issue 19: the day optimizer's plan and one move accepted (an empty body: 400).
    "planning-day": ("", "401 200 200 403 403", *["401 405 405 403 403"] * 4),
    "planning-move-accept": (
        "",
        "401 405 405 403 403",
        "401 400 400 403 403",
        "401 405 405 403 403",
        "401 405 405 403 403",
        "401 405 405 403 403",
    ),
    "planning:suggestions": ("ticket", "L 200 200 403 403", X, X, X, X),
    "planning:optimize": ("", "L 200 200 403 403", X, X, X, X),
    # An empty form goes back to the plan with a sentence.
    "planning:accept_move": ("", X, "L 302 302 403 403", X, X, X),
    "visits:board": ("", "L 200 200 403 403", "L 200 200 403 403", X, X, X),
    "visits:book": ("ticket", "L 200 200 403 403", "L 200 200 403 403", X, X, X),
    "visits:check": ("", "L 200 200 403 403", "L 200 200 403 403", X, X, X),
    "visits:reschedule": ("visit", "L 200 200 403 403", "L 200 200 403 403", X, X, X),
    "visits:cancel": ("visit", "L 200 200 403 403", "L 200 200 403 403", X, X, X),
    "visits:decide": ("request", X, "L 403 400 403 403", X, X, X),
    "visits:today": ("", "L 403 403 200 200", "L 403 403 200 200", X, X, X),
    "visits:detail": ("visit", "L 200 200 200 404", "L 200 200 200 404", X, X, X),
    "visits:reconfirm": ("visit", X, "L 403 403 302 404", X, X, X),
    "visits:depart": ("visit", X, "L 403 403 302 404", X, X, X),
    "visits:late": ("visit", X, "L 403 403 400 404", X, X, X),
    "visits:arrive": ("visit", X, "L 403 403 302 404", X, X, X),
    "visits:knock": ("visit", X, "L 403 403 302 404", X, X, X),
    "visits:call_failed": ("visit", X, "L 403 403 302 404", X, X, X),
    "visits:no_answer": ("visit", X, "L 403 403 302 404", X, X, X),
    "visits:note": ("visit", X, "L 403 403 400 404", X, X, X),
    "visits:start_work": ("visit", X, "L 403 403 400 404", X, X, X),
    "visits:measure": ("visit", X, "L 403 403 400 404", X, X, X),
    "visits:import_log": ("visit", X, "L 403 403 400 404", X, X, X),
    # Issue 18: the supervisor's grading thresholds of network tests.
    "visits:thresholds": ("", "L 403 200 403 403", X, X, X, X),
    "visits:update_thresholds": ("thresholds", X, "L 403 400 403 403", X, X, X),
    "visits:add_thresholds": ("", X, "L 403 400 403 403", X, X, X),
    "visits:outcome": ("visit", X, "L 403 403 400 404", X, X, X),
    "visits:reply": ("visit", X, "L 403 403 400 404", X, X, X),
    "visits:handover": ("visit", X, "L 403 403 400 404", X, X, X),
    # R16: the customer's screen on the engineer's phone; with no request waiting it sends the
    # engineer back to the visit.
    "visits:handover_consent": ("visit", "L 403 403 302 404", "L 403 403 302 404", X, X, X),
    "visits:complaint": ("visit", X, "L 403 403 400 404", X, X, X),
    "visits:no_survey": ("visit", X, "L 403 403 400 404", X, X, X),
    "visits:leave": ("visit", X, "L 403 403 400 404", X, X, X),
    # A supervisor's step: an engineer is refused whatever the visit; an empty form goes back to
    # the visit page with its error.
    "visits:complaint_follow_up": ("visit", X, "L 403 302 403 403", X, X, X),
    "checklists:my_kits": ("", "L 403 403 200 200", "L 403 403 200 200", X, X, X),
    "checklists:visit_kit": ("visit", "L 200 200 200 404", "L 200 200 200 404", X, X, X),
    "checklists:visit_kit_tick": ("visit", X, "L 403 403 302 404", X, X, X),
    "checklists:items": ("", "L 403 200 403 403", "L 403 200 403 403", X, X, X),
    "checklists:item_add": ("", X, "L 403 400 403 403", X, X, X),
    "checklists:item_edit": ("item", "L 403 200 403 403", "L 403 200 403 403", X, X, X),
    "checklists:item_move": ("item", X, "L 403 302 403 403", X, X, X),
    "checklists:item_active": ("item", X, "L 403 302 403 403", X, X, X),
    "checklists:report": ("", "L 403 200 403 403", "L 403 200 403 403", X, X, X),
    "surveys:home": ("", "L 302 302 302 302", "L 302 302 302 302", X, X, X),
    "surveys:visits": ("", "L 200 200 200 200", "L 200 200 200 200", X, X, X),
    "surveys:handoff": ("visit", "L 200 200 200 404", "L 200 200 200 404", X, X, X),
    "surveys:handoff_status": ("visit", "L 200 200 200 404", "L 200 200 200 404", X, X, X),
    "surveys:issue": ("visit", X, "L 302 302 302 404", X, X, X),
    "surveys:card": ("visit", X, "L 403 403 400 404", X, X, X),
    "surveys:customer": ("token", "200 200 200 200 200", "200 200 200 200 200", X, X, X),
    # Issue 17: the customer's appointment link; a staff session reads it and can't act.
    "customer:page": ("link", "200 200 200 200 200", "400 403 403 403 403", X, X, X),
    "customer:calendar": ("link", "200 200 200 200 200", X, X, X, X),
    "surveys:results": ("", "L 403 200 403 403", "L 403 200 403 403", X, X, X),
    "surveys:comments": ("", "L 403 200 403 403", "L 403 200 403 403", X, X, X),
    "surveys:response": ("response", "L 200 200 200 404", "L 200 200 200 404", X, X, X),
    "surveys:signature": ("response", "L 200 200 200 404", "L 200 200 200 404", X, X, X),
    "surveys:questions": ("", "L 403 200 403 403", "L 403 200 403 403", X, X, X),
    "surveys:question_new": ("", "L 403 200 403 403", "L 403 200 403 403", X, X, X),
    "surveys:question_edit": ("question", "L 403 200 403 403", "L 403 200 403 403", X, X, X),
    "dispatch:home": ("", "L 200 302 302 302", "L 200 302 302 302", X, X, X),
    "dispatch:ticket_list": ("", "L 200 200 403 403", "L 200 200 403 403", X, X, X),
    "dispatch:ticket_create": ("", "L 200 200 403 403", "L 200 200 403 403", X, X, X),
    "dispatch:ticket_detail": ("ticket", "L 200 200 403 403", "L 200 200 403 403", X, X, X),
    "dispatch:ticket_update": ("ticket", X, "L 400 400 403 403", X, X, X),
    # Issue 15: the intake's partial of a caller's tickets, and the call recorded on one.
    "dispatch:caller": ("", "L 200 200 403 403", X, X, X, X),
    "dispatch:repeat_call": ("ticket", X, "L 302 302 403 403", X, X, X),
    "dispatch:ticket_transfer": ("ticket", X, "L 400 400 403 403", X, X, X),
    # R4: an empty form is shown again with its errors; an empty decision goes back with one.
    "dispatch:ticket_transfer_request": ("ticket", X, "L 400 400 403 403", X, X, X),
    "dispatch:transfer_decide": ("transfer", X, "L 403 302 403 403", X, X, X),
    # R6, R13, R15: likewise for a waiver of a promise owed.
    "dispatch:ticket_waiver_request": ("ticket", X, "L 400 400 403 403", X, X, X),
    "dispatch:waiver_decide": ("waiver", X, "L 403 302 403 403", X, X, X),
    "dispatch:ticket_contact": ("ticket", X, "L 400 400 403 403", X, X, X),
    "dispatch:ticket_close": ("ticket", X, "L 400 400 403 403", X, X, X),
    "supervision:supervisor": ("", "L 403 200 403 403", "L 403 200 403 403", X, X, X),
    "supervision:dashboard_row_actions": ("ticket", "L 403 200 403 403", X, X, X, X),
    "supervision:dashboard_contact": ("ticket", X, "L 403 200 403 403", X, X, X),
    "supervision:dashboard_reassign": ("ticket", X, "L 403 200 403 403", X, X, X),
    "supervision:alerts": ("", "L 200 200 200 200", "L 200 200 200 200", X, X, X),
    "supervision:alerts_read": ("", X, "L 302 302 302 302", X, X, X),
    "supervision:outbox": ("", "L 403 200 403 403", "L 403 200 403 403", X, X, X),
    "supervision:network_tests": ("", "L 403 200 403 403", X, X, X, X),
    # Issue 15: every decision waiting for a supervisor (R4, R11).
    "supervision:approvals": ("", "L 403 200 403 403", X, X, X, X),
    "supervision:outbox_retry": ("notification", X, "L 403 302 403 403", X, X, X),
    "dispatch:language_check": ("", X, "L 200 200 200 200", X, X, X),
}

# Bodies for POSTs whose object is named in the body rather than the URL.
BODIES = {
    "survey-link-list": lambda w, other: {
        "visit": (w.other_visit if other else w.visit).pk,
        "channel": "sms",
    },
}


def kwargs_for(kind: str, w, other: bool) -> dict:
    """The URL's arguments for the matrix's object kind; `other` picks another engineer's."""
    objects = {
        "": {},
        "ticket": {"number": w.ticket.number},
        "token": {"token": w.token},
        "link": {"token": w.link_token},
        "visit": {"pk": (w.other_visit if other else w.visit).pk},
        "request": {"pk": (w.other_request if other else w.request).pk},
        "transfer": {"pk": w.transfer_request.pk},
        "waiver": {"pk": w.waiver_request.pk},
        "response": {"pk": (w.other_response if other else w.response).pk},
        "item": {"pk": w.item.pk},
        "notification": {"pk": w.notification.pk},
        "question": {"pk": w.question.pk},
        "thresholds": {"pk": w.thresholds.pk},
    }
    return objects[kind]


# Query strings for pages that need one to say anything (the booking form's htmx check).
QUERIES = {
    "visits:check": lambda w, other: f"?ticket={w.ticket.number}",
    # R7's free/busy: about the engineer themselves, or (the other column) about a colleague.
    "visit-availability": lambda w, other: (
        f"?engineer={(w.engineer2 if other else w.engineer).username}"
        f"&start={w.visit.start.isoformat().replace('+', '%2B')}"
        f"&end={w.visit.end.isoformat().replace('+', '%2B')}"
    ),
}


def answers(clients: Clients, w, name: str, kind: str, method: str) -> str:
    """The row's answers to one method, one code per column, space-separated."""
    codes = []
    for column in COLUMNS:
        other = column == "other_engineer"
        url = reverse(name, kwargs=kwargs_for(kind, w, other))
        url += QUERIES.get(name, lambda w, other: "")(w, other)
        body = BODIES[name](w, other) if method == "post" and name in BODIES else None
        codes.append(clients.answer(column, method, url, body))
    return " ".join(codes)


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_world()


def project_urls():
    """URLs of the project's own apps (the admin's are checked apart, below)."""
    return [(n, r) for n, r in url_patterns() if not r.startswith("admin/")]


def admin_path(route: str) -> str:
    """A concrete path for an admin route: converters become 1, app_label its first choice."""
    path = re.sub(r"\(\?P<app_label>([\w]+)[^)]*\)", r"\1", route)
    path = re.sub(r"<[^>]+>|\(\?P<[^>]+>[^)]*\)", "1", path)
    return "/" + path.replace("^", "").replace("$", "")


def test_every_url_is_in_the_matrix():
    names = [name for name, _ in project_urls()]
    # DEBUG's media serving (no name) is the only unnamed pattern allowed.
    unnamed = [r for n, r in project_urls() if not n]
    assert all(r.startswith("^media/") for r in unnamed), unnamed
    missing = sorted({n for n in names if n} - set(MATRIX))
    assert not missing, f"URLs without a row in the permission matrix: {missing}"
    stale = sorted(set(MATRIX) - set(names))
    assert not stale, f"Matrix rows for URLs that no longer exist: {stale}"


def test_each_role_gets_the_answer_it_should(world):
    clients = Clients(world)
    wrong = []
    for name, _ in project_urls():
        if not name:
            continue
        kind, *expected_answers = MATRIX[name]
        for method, expected in zip(METHODS, expected_answers, strict=True):
            got = answers(clients, world, name, kind, method)
            if got != expected:
                wrong.append(f"{method.upper()} {name}: expected {expected}, got {got}")
    assert not wrong, "\n" + "\n".join(wrong)


def test_the_admin_lets_no_role_in(world):
    """No role is staff: every admin page sends every role, and anonymous, to the admin's login."""
    clients = Clients(world)
    routes = [r for _, r in url_patterns() if r.startswith("admin/")]
    assert len(routes) > 20
    wrong = []
    for route in routes:
        path = admin_path(route)
        if path in ("/admin/login/", "/admin/logout/"):
            continue
        for method in METHODS:
            got = " ".join(clients.answer(c, method, path) for c in COLUMNS[:4])
            # The admin's pages serve GET and POST; the other methods are 405 for anyone.
            if got != ("A A A A" if method in ("get", "post") else "405 405 405 405"):
                wrong.append(f"{method.upper()} {path}: {got}")
    assert not wrong, "\n" + "\n".join(wrong)


PUBLIC = {
    "login",
    "set_language",
    "surveys:customer",
    "customer:page",
    "customer:calendar",
    "health",
    "health-live",
}


def test_the_customer_link_opens_its_survey_and_nothing_else(world):
    """The customer has no account: the single-use token of the SMS opens that visit's survey
    (R22), a made-up token opens nothing, and holding a link gives no way into staff pages."""
    customer = Client()
    page = customer.get(reverse("surveys:customer", args=[world.token]))
    assert page.status_code == 200
    assert "服务监督调查表" in page.content.decode()
    forged = customer.get(reverse("surveys:customer", args=[world.token[:-2] + "xx"]))
    assert forged.status_code == 404

    wrong = []
    for name, _ in project_urls():
        if not name or name in PUBLIC:
            continue
        url = reverse(name, kwargs=kwargs_for(MATRIX[name][0], world, False))
        response = customer.get(url)
        refused = response.status_code in (401, 403, 405) or (
            response.status_code == 302 and response["Location"].startswith("/login/")
        )
        if not refused:
            wrong.append(f"{name}: {response.status_code}")
    assert not wrong, wrong


# --- which methods each route serves, read from its view ------------------------------------

REFUSALS = {"401", "403", "405", "L", "A"}
PAGE_METHODS = {"get", "post"}  # dispatch.middleware.page_methods: pages serve no other


def declared_methods(route: str, callback) -> set[str]:
    """The methods the route's view serves: a viewset's router mapping, a class view's handlers,
    a function view's require_http_methods list; pages are cut to GET and POST."""
    actions = getattr(callback, "actions", None)
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if actions:
        methods = set(actions)
    elif cls is not None:
        methods = {m for m in cls.http_method_names if hasattr(cls, m)}
    else:
        methods, fn = set(METHODS), callback
        while fn is not None:
            listed = inspect.getclosurevars(fn).nonlocals.get("request_method_list")
            if listed:
                methods = {m.lower() for m in listed}
                break
            fn = getattr(fn, "__wrapped__", None)
    methods &= set(METHODS)
    return methods if route.startswith("api/") else methods & PAGE_METHODS


def served_in_matrix(answers: str) -> bool:
    """A row serves a method unless every column is refused and someone gets 405."""
    codes = set(answers.split())
    return "405" not in codes or not codes <= REFUSALS


def test_the_rows_serve_what_the_views_declare():
    wrong = []
    for name, route, callback in url_callbacks():
        if not name or route.startswith("admin/"):
            continue
        rows = dict(zip(METHODS, MATRIX[name][1:], strict=True))
        in_matrix = {m for m, answers in rows.items() if served_in_matrix(answers)}
        declared = declared_methods(route, callback)
        if in_matrix != declared:
            wrong.append(f"{name}: the view serves {sorted(declared)}, the row {sorted(in_matrix)}")
    assert not wrong, "\n" + "\n".join(wrong)
