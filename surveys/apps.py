from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Surveys")

    def ready(self):
        from django.urls import reverse

        from visits import extensions

        from . import selectors
        from .phone_secrets import register_resolvers

        # R23: the outbox derives the survey's link and codes only when it sends them.
        register_resolvers()
        # R21 step 5 and what leaving asks (R22, R24): visits asks, without importing surveys.
        extensions.register_step_page(
            "survey", lambda visit: reverse("surveys:handoff", args=[visit.pk])
        )
        extensions.register_fact(extensions.SURVEY_SIGNED, selectors.survey_signed)
        extensions.register_fact(extensions.CARD_HANDED, selectors.card_handed)
        extensions.register_fact(extensions.HANDBOOK_HANDED, selectors.handbook_handed)
        # The survey's customer SMS templates (dispatch.sms).
        from . import sms  # noqa: F401
