"""The service supervision survey (服务监督调查表), the customer's signature and the work-order
sign-off (R22–R25). Workflows live in surveys.services; the integrity arithmetic in
surveys.integrity.

A signed survey is immutable: rows are written once by `sign_survey` and never updated or deleted
through the ORM (R23). Anything that changes a row behind the ORM's back is caught by
`SurveyResponse.verify()`.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from dispatch.people import mask_phone
from dispatch.transitions import StateMap

from .integrity import integrity_problems


class QuestionKind(models.TextChoices):
    RATING = "rating", _("Satisfaction 1–5")
    YES_NO = "yes_no", _("Yes or no")
    TEXT = "text", _("Free text")


class Question(models.Model):
    """One item of the survey. Items are data (R25): a supervisor edits the wording, the order
    and the importance weight; a signed survey keeps the wording it was signed with."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=QuestionKind.choices)
    text = models.CharField(_("question"), max_length=200)
    text_en = models.CharField(_("question in English"), max_length=200, blank=True)
    # R25: the importance axis of the four-quadrant chart, 1 (minor) to 5 (essential).
    importance = models.PositiveSmallIntegerField(
        _("importance"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("1 = minor, 5 = essential. Weight in the four-quadrant chart."),
    )
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    required = models.BooleanField(_("answer required"), default=True)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("survey question")
        verbose_name_plural = _("survey questions")
        constraints = [
            models.CheckConstraint(
                condition=Q(importance__gte=1) & Q(importance__lte=5),
                name="question_importance_1_5",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=QuestionKind.values), name="question_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def label(self) -> str:
        """The wording in the reader's language (the data is entered in Chinese first)."""
        if self.text_en and (translation.get_language() or "").startswith("en"):
            return self.text_en
        return self.text


class LinkChannel(models.TextChoices):
    # How the customer reaches the survey page (R23).
    SMS = "sms", _("SMS link to the customer's phone")
    QR = "qr", _("QR code scanned by the customer")
    DEVICE = "device", _("Engineer's phone with an SMS code")


class LinkState(models.TextChoices):
    """Where a survey link stands, read from its timestamps (SurveyLink.state)."""

    OPEN = "open", _("Not yet used")
    USED = "used", _("Signed")
    REVOKED = "revoked", _("Replaced or locked")


# R23: a link is used once (the customer signs) or revoked (a newer link replaces it, or wrong
# codes lock it), and then it is over. An open link past its expiry opens nothing
# (SurveyLink.is_live) and is revoked when the next one is issued.
LINK_TRANSITIONS: dict[str, frozenset[str]] = {
    LinkState.OPEN: frozenset({LinkState.USED, LinkState.REVOKED}),
    LinkState.USED: frozenset(),
    LinkState.REVOKED: frozenset(),
}


class SurveyLink(models.Model):
    """A single-use, expiring link to the survey of one visit (R23).

    Only the SHA-256 of the token is stored: the token itself exists in the SMS to the customer
    (derived when it is sent, never in the outbox), or on the engineer's screen for the QR and
    engineer's-phone channels, where the page also asks for a one-time code sent by SMS to the
    customer's number.
    """

    states = StateMap(
        LINK_TRANSITIONS,
        field="state",
        choices=LinkState,
        refusal=_("This survey link is “%(current)s”: it can't become “%(new)s”."),
        rows={
            LinkState.OPEN: Q(used_at__isnull=True, revoked_at__isnull=True),
            LinkState.USED: Q(used_at__isnull=False),
            LinkState.REVOKED: Q(revoked_at__isnull=False),
        },
    )

    visit = models.ForeignKey("visits.Visit", on_delete=models.PROTECT, related_name="survey_links")
    channel = models.CharField(_("channel"), max_length=10, choices=LinkChannel.choices)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    # R23: the token and the codes are derived from this nonce with the server's key when the SMS
    # is sent (surveys.secrets), so the outbox stores neither and a retry sends the same ones.
    secret_nonce = models.CharField(max_length=32, blank=True, editable=False)
    phone = PhoneNumberField(_("customer phone"), region="CN")
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    # The one-time code that proves the customer's phone is at hand (QR, engineer's phone, or an
    # SMS link opened in a staff member's browser). Stored as an HMAC, never in clear.
    code_hash = models.CharField(max_length=64, blank=True, editable=False)
    code_sent_at = models.DateTimeField(null=True, blank=True)
    code_expires_at = models.DateTimeField(null=True, blank=True)
    code_sends = models.PositiveSmallIntegerField(default=0)
    code_attempts = models.PositiveSmallIntegerField(default=0)
    code_verified_at = models.DateTimeField(null=True, blank=True)
    # The browser that proved the code holds the matching nonce; no other browser may sign.
    binding_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("survey link")
        verbose_name_plural = _("survey links")
        constraints = [
            # One live link per visit: issuing a new one revokes the old in the same transaction.
            models.UniqueConstraint(
                fields=["visit"],
                condition=Q(used_at__isnull=True, revoked_at__isnull=True),
                name="surveylink_one_live_per_visit",
            ),
            models.CheckConstraint(
                condition=Q(channel__in=LinkChannel.values), name="surveylink_channel_valid"
            ),
            # LINK_TRANSITIONS: used and revoked are both final; a link is never both.
            models.CheckConstraint(
                condition=Q(used_at__isnull=True) | Q(revoked_at__isnull=True),
                name="surveylink_used_or_revoked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.visit_id} {self.channel} {self.issued_at:%Y-%m-%d %H:%M}"

    @property
    def state(self) -> str:
        if self.used_at is not None:
            return LinkState.USED
        if self.revoked_at is not None:
            return LinkState.REVOKED
        return LinkState.OPEN

    def is_live(self, now=None) -> bool:
        now = now or timezone.now()
        return self.used_at is None and self.revoked_at is None and now < self.expires_at

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class ImmutableQuerySet(models.QuerySet):
    """R23: a signed record has no update or delete path through the ORM."""

    def update(self, **kwargs):
        raise ValueError("Signed survey records are immutable.")

    def delete(self):
        raise ValueError("Signed survey records are immutable.")


class ImmutableModel(models.Model):
    objects = ImmutableQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("Signed survey records are immutable.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Signed survey records are immutable.")


class SurveyResponse(ImmutableModel):
    """The survey and work order as the customer signed them (R22–R24). Written once."""

    visit = models.OneToOneField(
        "visits.Visit", on_delete=models.PROTECT, related_name="survey_response"
    )
    link = models.OneToOneField(SurveyLink, on_delete=models.PROTECT, related_name="response")
    signed_at = models.DateTimeField(_("signed at"))
    channel = models.CharField(_("channel"), max_length=10, choices=LinkChannel.choices)
    verified_by_code = models.BooleanField(_("confirmed with an SMS code"), default=False)
    phone = PhoneNumberField(_("customer phone"), region="CN")
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=500, blank=True)
    # The staff member logged in on the signing browser, if any (the engineer's-phone path).
    session_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # R24: what the work order said when the customer confirmed and signed it.
    work_order_text = models.TextField(_("work order"))
    measurements = models.JSONField(_("test results"), default=list)
    signature_png = models.BinaryField(_("signature image"))
    signature_strokes = models.JSONField(_("signature strokes"))
    digest = models.CharField(_("SHA-256 digest"), max_length=64)
    # HMAC of the digest with the server's key: rewriting a row and its digest needs the key too.
    seal = models.CharField(max_length=64)

    class Meta:
        ordering = ["-signed_at", "-id"]
        verbose_name = _("signed survey")
        verbose_name_plural = _("signed surveys")
        indexes = [models.Index(fields=["signed_at"], name="surveyresponse_signed")]

    def __str__(self) -> str:
        return f"{self.visit_id} {self.signed_at:%Y-%m-%d %H:%M}"

    def integrity_problems(self) -> list[str]:
        return integrity_problems(self)

    def verify(self) -> bool:
        """True when the row, its answers and the visit's measurements are as signed."""
        return not self.integrity_problems()


class Answer(ImmutableModel):
    """One answer of a signed survey, with the question as the customer saw it."""

    response = models.ForeignKey(SurveyResponse, on_delete=models.PROTECT, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    position = models.PositiveSmallIntegerField()
    code = models.SlugField(max_length=40)
    kind = models.CharField(max_length=10, choices=QuestionKind.choices)
    text = models.CharField(max_length=200)
    importance = models.PositiveSmallIntegerField()
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    yes = models.BooleanField(null=True, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["response", "question"], name="answer_one_per_question"
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | (Q(score__gte=1) & Q(score__lte=5)),
                name="answer_score_1_5",
            ),
        ]
        indexes = [models.Index(fields=["question", "kind"], name="answer_question_kind")]

    def __str__(self) -> str:
        return f"{self.response_id} {self.code}"


class CardItem(models.TextChoices):
    # R18/R24: the commitment card, or the FAQ handbook where the centre allows it instead.
    CARD = "card", _("Service commitment card")
    FAQ = "faq", _("FAQ handbook")


class CardHandover(models.Model):
    """R24: after the work order is signed the engineer hands over the commitment card and the
    customer gets the closing SMS with the 10000 hotline."""

    visit = models.OneToOneField(
        "visits.Visit", on_delete=models.PROTECT, related_name="card_handover"
    )
    item = models.CharField(
        _("handed over"), max_length=10, choices=CardItem.choices, default=CardItem.CARD
    )
    handed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    handed_at = models.DateTimeField(_("handed over at"))

    class Meta:
        verbose_name = _("commitment card handover")
        verbose_name_plural = _("commitment card handovers")

    def __str__(self) -> str:
        return f"{self.visit_id} {self.item}"
