"""Load demo data: one user per role and weeks of tickets, visits, kit checks and surveys.

Idempotent: users are reset to the printed passwords every time; the rest is loaded once.
Each app adds its part through a `demo.seed(demo)` function, run in the order of
INSTALLED_APPS (each app after the ones it builds on), so dispatch names none of them.
"""

from importlib import import_module
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import module_has_submodule

from dispatch import demo as dispatch_demo
from dispatch.db import history_maintenance
from dispatch.models import Ticket


def demo_modules():
    """The `demo` module of each of the project's apps that has one, in INSTALLED_APPS order."""
    for config in apps.get_app_configs():
        ours = Path(config.path).parent == Path(settings.BASE_DIR)
        if ours and module_has_submodule(config.module, "demo"):
            yield import_module(f"{config.name}.demo")


class Command(BaseCommand):
    help = "Load demo users and data (safe to run again)."

    def handle(self, *args, **options):
        demo = dispatch_demo.Demo()
        # The demo fabricates weeks of past: it backdates the events it writes.
        with transaction.atomic(), history_maintenance():
            logins = dispatch_demo.ensure_staff(demo)
            if Ticket.objects.exists():
                self.stdout.write("Demo data already loaded; logins reset.")
            else:
                for module in demo_modules():
                    module.seed(demo)
                # Deadlines missed in the demo's past are swept as beat would have swept them.
                dispatch_demo.sweep_history(demo)
                # What the carriers answered: delivered, and two that failed (issue 16).
                dispatch_demo.sms_outcomes(demo)
                self.stdout.write(self.style.SUCCESS(f"Loaded {len(demo.tickets)} demo tickets."))
        self.stdout.write("\nDemo logins (role / username / password):")
        for role, username, password in logins:
            self.stdout.write(f"  {role:<11} {username:<11} {password}")
