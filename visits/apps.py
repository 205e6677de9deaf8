from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "visits"
    verbose_name = _("Visits")

    def ready(self):
        from dispatch.closing import register_close_check

        from .closing import pending_visits_block_close

        register_close_check(pending_visits_block_close)

        # R16: the outbox derives the handover's code only when it sends it.
        from .services.handover import register_resolvers

        register_resolvers()
        # The visit's customer SMS templates (dispatch.sms).
        from . import sms  # noqa: F401
