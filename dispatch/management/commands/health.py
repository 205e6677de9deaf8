"""`manage.py health`: the checks of /health/ from the command line, for the healthcheck of the
worker and beat containers (they serve no HTTP). Exit status 1 when a check fails."""

import json

from django.core.management.base import BaseCommand, CommandError

from dispatch import health


class Command(BaseCommand):
    help = "Check the database, the broker and the beat's last sweep; exit 1 if one fails."

    def handle(self, *args, **options):
        results = health.run_checks(health.FULL)
        self.stdout.write(json.dumps(results, default=str))
        if not all(result["ok"] for result in results.values()):
            raise CommandError("unhealthy")
