"""Run the deadline sweep now (what Celery beat does every minute), optionally also sending the
outbox in this process: useful without a worker, or to catch up by hand after an outage."""

from dataclasses import asdict

from django.core.management.base import BaseCommand

from dispatch.delivery import deliver_pending
from dispatch.sweep import sweep_deadlines


class Command(BaseCommand):
    help = "Mark due deadlines overdue, warn of those due soon, and (with --deliver) send."

    def add_arguments(self, parser):
        parser.add_argument(
            "--deliver", action="store_true", help="Also send the outbox in this process."
        )

    def handle(self, *args, **options):
        result = sweep_deadlines()
        self.stdout.write(
            f"Overdue: {result.overdue}, warned: {result.warned}, alerts: {result.alerts}"
        )
        if options["deliver"]:
            sent = deliver_pending()
            self.stdout.write("Delivery: " + ", ".join(f"{k} {v}" for k, v in asdict(sent).items()))
