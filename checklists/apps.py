from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChecklistsConfig(AppConfig):
    name = "checklists"
    verbose_name = _("Kit checks")

    def ready(self):
        from django.urls import reverse

        from visits import extensions

        # R21 step 2: the visit page links to the kit check, without importing checklists.
        extensions.register_step_page(
            "kit", lambda visit: reverse("checklists:visit_kit", args=[visit.pk])
        )
