from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Surveys")

    def ready(self):
        # R23: the outbox derives the survey's link and codes only when it sends them.
        from .phone_secrets import register_resolvers

        register_resolvers()
