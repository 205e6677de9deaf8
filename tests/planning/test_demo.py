"""The demo shows planning for real: placed tickets, home bases, a day the optimizer improves."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from dispatch.models import EngineerBase, Grid, Ticket
from planning.optimizer import optimize_day
from planning.suggestions import suggest

pytestmark = pytest.mark.django_db


def test_the_demo_places_tickets_and_gives_the_optimizer_moves(dispatcher):
    call_command("seed_demo", stdout=io.StringIO())
    assert Grid.objects.count() >= 5
    assert EngineerBase.objects.count() == 3
    assert Ticket.objects.filter(latitude__isnull=False).count() > 30
    plan = optimize_day(user=dispatcher, day=timezone.localdate() + timedelta(days=1))
    assert plan.moves and plan.saved_minutes > 0
    waiting = Ticket.objects.get(customer_name="林先生")
    assert waiting.latitude is not None and not waiting.visits.exists()
    assert suggest(user=dispatcher, ticket=waiting)
