from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class VisitsConfig(AppConfig):
    name = "visits"
    verbose_name = pgettext_lazy("the visits", "Visits")

    def ready(self):
        from dispatch.closing import register_close_check
        from dispatch.corrections import register_correction_check, register_correction_effect

        from .closing import pending_visits_block_close
        from .corrections import pending_visit_keeps_its_facts, tell_the_corrected_details

        register_close_check(pending_visits_block_close)
        register_correction_check(pending_visit_keeps_its_facts)
        register_correction_effect(tell_the_corrected_details)

        # R16: the outbox derives the handover's code only when it sends it.
        from .services.handover import register_resolvers

        register_resolvers()
        # Issue 17: and the customer's appointment link, also only when it sends it.
        from .services.links import register_resolvers as register_link_resolvers

        register_link_resolvers()
        # The visit's customer SMS templates (dispatch.sms).
        from . import sms  # noqa: F401
