"""The audit trail is append-only in the database, whatever path a change takes: the ORM's
per-object guard, a bulk update, raw SQL, or the cascade of a deleted ticket."""

import pytest
from django.db import DatabaseError, connection, transaction

from dispatch.db import history_maintenance
from dispatch.models import Event, Ticket
from tests.factories import open_ticket


@pytest.mark.django_db
class TestTheDatabaseRefusesToRewriteHistory:
    def test_a_bulk_update_is_refused(self, ticket):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            Event.objects.filter(ticket=ticket).update(message="tampered")
        assert not Event.objects.filter(message="tampered").exists()

    def test_raw_sql_is_refused(self, ticket):
        refused = pytest.raises(DatabaseError, match="append-only")
        with refused, transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM dispatch_event WHERE ticket_id = %s", [ticket.pk])
        assert Event.objects.filter(ticket=ticket).exists()

    def test_deleting_a_ticket_cannot_take_its_history_along(self, ticket):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            Ticket.objects.filter(pk=ticket.pk).delete()
        assert Ticket.objects.filter(pk=ticket.pk).exists()

    def test_a_declared_purge_may_delete_within_its_own_transaction(self, ticket, dispatcher):
        with history_maintenance():
            Ticket.objects.filter(pk=ticket.pk).delete()
        assert not Event.objects.filter(ticket_id=ticket.pk).exists()
        # The permission ended with that transaction.
        other = Event.objects.get(ticket=open_ticket(dispatcher))
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            Event.objects.filter(pk=other.pk).delete()

    def test_new_events_are_still_written(self, ticket):
        Event.objects.create(ticket=ticket, kind="ticket.note", message="more")
        assert Event.objects.filter(ticket=ticket).count() == 2
