from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlanningConfig(AppConfig):
    name = "planning"
    verbose_name = _("Planning")

    def ready(self):
        from django.urls import reverse
        from django.utils.http import urlencode

        from visits import extensions

        # The booking page and the board link here, without importing planning
        # (docs/design.md#layers).
        extensions.register_desk_page(
            extensions.SUGGESTIONS,
            lambda ticket: reverse("planning:suggestions", args=[ticket.number]),
        )
        extensions.register_desk_page(
            extensions.OPTIMIZE_DAY,
            lambda day: f"{reverse('planning:optimize')}?{urlencode({'day': day.isoformat()})}",
        )
        # Issue 17: the customer's link offers free slots and the departure SMS an arrival
        # time, both reckoned here (visits asks through its registry).
        from .suggestions import customer_slots, travel_minutes

        extensions.register_reckoning(extensions.CUSTOMER_SLOTS, customer_slots)
        extensions.register_reckoning(extensions.TRAVEL_MINUTES, travel_minutes)
