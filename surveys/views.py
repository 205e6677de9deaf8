"""Pages of the survey: the engineer's hand-off, the customer's page behind a token, and the
supervisor's results. Views read through selectors and change state through services."""

import hmac

import segno
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from dispatch.errors import RuleViolation
from dispatch.forms import add_violations, run_service
from dispatch.middleware import gzip_exempt
from dispatch.people import mask_phone
from dispatch.periods import Period
from dispatch.permissions import role_required
from dispatch.roles import Role, has_role
from dispatch.rules import faq_handbook_allowed
from dispatch.sites import absolute, site_url
from visits.models import Visit
from visits.services import require_engineer

from . import rules, selectors, services, signature
from .charts import QUADRANT_LABELS, quadrant_chart
from .forms import CardForm, CodeForm, QuestionForm, ResultsFilterForm, SurveyForm
from .integrity import measurement_snapshot
from .models import CardItem, LinkChannel, Question, SurveyResponse

STAFF = (Role.ENGINEER, Role.DISPATCHER, Role.SUPERVISOR)
DESK = (Role.DISPATCHER, Role.SUPERVISOR)
QR_SESSION_KEY = "survey_qr_{}"
BINDING_SESSION_KEY = "survey_binding_{}"


# --- the engineer's side --------------------------------------------------------------------


@role_required(*STAFF)
def visit_list(request):
    visits = selectors.survey_visits(request.user)
    page = Paginator(visits, 25).get_page(request.GET.get("page"))
    return render(request, "surveys/visit_list.html", {"page": page})


def _handoff_visit(request, pk) -> Visit:
    try:
        return selectors.handoff_visit(request.user, pk)
    except Visit.DoesNotExist as exc:
        raise Http404 from exc


def _qr_svg(request, visit: Visit) -> str | None:
    """The QR code of the visit's live QR link, if this engineer's session issued it."""
    token = request.session.get(QR_SESSION_KEY.format(visit.pk))
    live = [link for link in visit.open_links if link.channel == LinkChannel.QR and link.is_live()]
    if not token or not live:
        return None
    if not hmac.compare_digest(services.hash_token(token), live[0].token_hash):
        return None
    url = absolute(services.customer_path(token), request)
    return segno.make(url, error="m").svg_inline(scale=5, border=2, omitsize=True)


def _handoff_context(request, visit: Visit, **extra) -> dict:
    live = [link for link in visit.open_links if link.is_live()]
    response = getattr(visit, "survey_response", None)
    handover = getattr(visit, "card_handover", None)
    return {
        "visit": visit,
        "ticket": visit.ticket,
        "masked_phone": mask_phone(visit.ticket.phone),
        "is_engineer": visit.engineer_id == request.user.pk,
        "live_link": live[0] if live else None,
        "response": response,
        "verified": response.verify() if response else None,
        "handover": handover,
        # R18: a handbook handed over before the centre withdrew it is replaced by the card.
        "handbook_withdrawn": handover is not None
        and handover.item == CardItem.FAQ
        and not faq_handbook_allowed(),
        "qr_svg": None if response else _qr_svg(request, visit),
        "card_form": extra.pop("card_form", None) or CardForm(),
        "can_issue": visit.status in rules.WORK_ENDED_STATUSES and visit.work_ended_at is not None,
        **extra,
    }


@never_cache
@role_required(*STAFF)
@gzip_exempt
def handoff(request, pk):
    """Step 5 of the visit (R21): the customer rates and signs on their own phone (R22–R24)."""
    visit = _handoff_visit(request, pk)
    return render(request, "surveys/handoff.html", _handoff_context(request, visit))


@never_cache
@role_required(*STAFF)
@gzip_exempt
def handoff_status(request, pk):
    """htmx: the engineer's page polls until the customer has signed."""
    visit = _handoff_visit(request, pk)
    return render(request, "surveys/_handoff_status.html", _handoff_context(request, visit))


@require_POST
@role_required(*STAFF)
def issue(request, pk):
    visit = _handoff_visit(request, pk)
    channel = request.POST.get("channel", "")
    try:
        issued = services.issue_link(
            actor=request.user,
            visit=visit,
            channel=channel,
            base_url=site_url(request),
        )
    except RuleViolation as exc:
        messages.error(request, exc.message)
        return redirect("surveys:handoff", pk=pk)
    request.session.pop(QR_SESSION_KEY.format(visit.pk), None)
    if channel == LinkChannel.SMS:
        messages.success(
            request,
            _("The survey link was sent by SMS to %(phone)s.")
            % {"phone": issued.link.masked_phone},
        )
    elif channel == LinkChannel.QR:
        # Kept for this session only, to draw the QR code; the customer still proves their
        # phone with an SMS code (R23).
        request.session[QR_SESSION_KEY.format(visit.pk)] = issued.token
    else:
        # The customer uses the engineer's phone: the page asks for the code sent to theirs.
        return redirect(services.customer_path(issued.token))
    return redirect("surveys:handoff", pk=pk)


@require_POST
@role_required(*STAFF)
def card(request, pk):
    visit = _handoff_visit(request, pk)
    # R24: a field step; the desk reading the hand-off page gets a 403 with the sentence.
    require_engineer(request.user, visit)
    form = CardForm(request.POST)
    if not form.is_valid():
        context = _handoff_context(request, visit, card_form=form)
        return render(request, "surveys/handoff.html", context, status=400)
    try:
        services.hand_over_card(actor=request.user, visit=visit, item=form.cleaned_data["item"])
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Recorded. The customer gets the closing SMS with the 10000 hotline.")
        )
    return redirect("surveys:handoff", pk=pk)


# --- the customer's side (no account; the token is the key) ---------------------------------


def _client_ip(request) -> str | None:
    # Behind the centre's proxy REMOTE_ADDR is what the proxy reports; no header is trusted.
    return request.META.get("REMOTE_ADDR") or None


def _closed(request, exc: RuleViolation):
    response = render(
        request,
        "surveys/customer_closed.html",
        {"message": exc.message, "code": exc.code},
        status=exc.status,
    )
    return response


def _customer_headers(response):
    # The token is in the URL: never cache it, never send it to another site as a referrer
    # (same-origin, not no-referrer: with no-referrer the browser posts "Origin: null" and
    # the CSRF check refuses the customer's own form), never index it.
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@never_cache
@gzip_exempt
def customer(request, token):
    return _customer_headers(_customer(request, token))


def _customer(request, token):
    try:
        link = services.find_link(token)
    except RuleViolation as exc:
        return _closed(request, exc)
    now = timezone.now()
    if link.used_at is not None:
        return render(request, "surveys/customer_done.html", {"link": link}, status=200)
    if not link.is_live(now):
        try:
            services.check_live(link, now)
        except RuleViolation as exc:
            return _closed(request, exc)
    binding_key = BINDING_SESSION_KEY.format(link.pk)
    binding = request.session.get(binding_key, "")
    proved = bool(
        binding
        and link.binding_hash
        and hmac.compare_digest(services.hash_token(binding), link.binding_hash)
    )
    if services.needs_code(link, request.user) and not proved:
        return _code_step(request, link)

    visit = link.visit
    questions = list(selectors.questions())
    form = SurveyForm(request.POST or None, questions=questions)
    if request.method == "POST" and request.POST.get("action") == "sign" and form.is_valid():
        try:
            services.sign_survey(
                actor=request.user,
                token=token,
                answers=form.answers(),
                work_order_confirmed=form.cleaned_data["confirm"],
                strokes=form.cleaned_data["signature"],
                binding=binding,
                ip_address=_client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
            )
        except RuleViolation as exc:
            if exc.status == 410:
                # Signed or replaced a moment ago (a second tap, a newer link): the page is
                # closed, not a form to correct.
                return _closed(request, exc)
            add_violations(form, exc)
        else:
            request.session.pop(binding_key, None)
            return redirect(request.path)
    status = 400 if form.errors else 200
    context = {
        "link": link,
        "visit": visit,
        "work_order": services.work_order_lines(visit),
        "measurements": measurement_snapshot(visit.pk),
        "form": form,
        # The pad stops taking ink where the service would refuse it.
        "signature_limits": {"strokes": signature.MAX_STROKES, "points": signature.MAX_POINTS},
    }
    return render(request, "surveys/customer_survey.html", context, status=status)


def _code_step(request, link):
    form = CodeForm(request.POST if request.POST.get("action") == "verify" else None)
    status = 200
    if request.method == "POST" and request.POST.get("action") == "send":
        try:
            services.send_code(link=link)
            messages.success(
                request, _("A code was sent to %(phone)s.") % {"phone": link.masked_phone}
            )
            return redirect(request.path)
        except RuleViolation as exc:
            messages.error(request, exc.message)
            status = exc.status
    elif request.method == "POST" and form.is_valid():
        try:
            nonce = services.verify_code(link=link, code=form.cleaned_data["code"])
        except RuleViolation as exc:
            if exc.code == "locked":
                return _closed(request, RuleViolation(exc.code, exc.message, status=410))
            form.add_error("code", exc.message)
            status = 400
        else:
            request.session[BINDING_SESSION_KEY.format(link.pk)] = nonce
            return redirect(request.path)
    link.refresh_from_db()
    return render(
        request, "surveys/customer_code.html", {"link": link, "form": form}, status=status
    )


# --- the supervisor's side (R25) ------------------------------------------------------------


def _period(form: ResultsFilterForm) -> tuple[Period, object]:
    period = Period.last_days(30)
    engineer = None
    if form.is_valid():
        period = Period(
            start=form.cleaned_data["start"] or period.start,
            end=form.cleaned_data["end"] or period.end,
        )
        engineer = form.cleaned_data["engineer"]
    return period, engineer


def _filter_form(request) -> ResultsFilterForm:
    default = Period.last_days(30)
    return ResultsFilterForm(
        request.GET or None, initial={"start": default.start, "end": default.end}
    )


@role_required(Role.SUPERVISOR)
def results(request):
    form = _filter_form(request)
    period, engineer = _period(form)
    items, rows = selectors.engineer_results(period, engineer)
    quadrants = selectors.quadrant_items(period, engineer)
    return render(
        request,
        "surveys/results.html",
        {
            "form": form,
            "period": period,
            "engineer": engineer,
            "items": items,
            "rows": rows,
            "quadrants": quadrants,
            "chart": quadrant_chart(quadrants),
            "quadrant_labels": QUADRANT_LABELS,
            "comments": selectors.comments(period, engineer)[:5],
            "query": request.GET.urlencode(),
        },
    )


@role_required(Role.SUPERVISOR)
def comment_list(request):
    form = _filter_form(request)
    period, engineer = _period(form)
    page = Paginator(selectors.comments(period, engineer), 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "surveys/comments.html",
        {"form": form, "period": period, "page": page, "query": query.urlencode()},
    )


def _response(request, pk) -> SurveyResponse:
    try:
        return selectors.response_detail(request.user, pk)
    except SurveyResponse.DoesNotExist as exc:
        raise Http404 from exc


@role_required(*STAFF)
def response_detail(request, pk):
    response = _response(request, pk)
    return render(
        request,
        "surveys/response_detail.html",
        {
            "response": response,
            "problems": response.integrity_problems(),
            "work_order": response.work_order_text.splitlines(),
            "strokes": len(response.signature_strokes.get("strokes", [])),
        },
    )


@role_required(*STAFF)
def signature_png(request, pk):
    response = _response(request, pk)
    http = HttpResponse(bytes(response.signature_png), content_type="image/png")
    http["Cache-Control"] = "private, max-age=3600"
    return http


@role_required(Role.SUPERVISOR)
def question_list(request):
    return render(request, "surveys/question_list.html", {"questions": selectors.questions(False)})


@role_required(Role.SUPERVISOR)
def question_edit(request, pk=None):
    question = get_object_or_404(Question, pk=pk) if pk else None
    form = QuestionForm(request.POST or None, instance=question)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        # The form has written its values onto `question`; the service compares with the row.
        original = Question.objects.get(pk=pk) if pk else None
        saved = run_service(
            form, lambda: services.save_question(actor=request.user, question=original, **data)
        )
        if saved is not None:
            messages.success(request, _("Survey item saved."))
            return redirect("surveys:questions")
    if question is not None:
        # Re-read: a refused save leaves the instance with the form's values.
        question = Question.objects.get(pk=question.pk)
    return render(
        request,
        "surveys/question_form.html",
        {"form": form, "question": question},
        status=400 if form.errors else 200,
    )


@role_required(*STAFF)
def home(request):
    """/survey/: supervisors go to the results, everyone else to their surveys to collect."""
    if has_role(request.user, Role.SUPERVISOR):
        return redirect(reverse("surveys:results"))
    return redirect(reverse("surveys:visits"))
