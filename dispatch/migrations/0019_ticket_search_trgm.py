"""Issue 15: finding a repeat caller by phone, name, address or ticket number (docs/benchmarks.md,
"Ticket search"). On PostgreSQL a trigram GIN index over the searched text lets
`UPPER(text) LIKE UPPER('%term%')` skip the rows that can't match: pg_trgm hashes every
character the database's locale calls alphanumeric, CJK included (C.UTF-8 and zh_CN.UTF-8), so
Chinese names and addresses are indexed like digits and Latin letters.

The expression is dispatch.search.SearchText's, character for character: PostgreSQL uses an
expression index only for the very same expression. Not part of the model state (as the event
trigger of 0010): SQLite, the embedded database of `make run`, scans, which is fast enough for a
demo's few hundred tickets."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

FORWARD = """
CREATE INDEX IF NOT EXISTS ticket_search_trgm ON dispatch_ticket USING gin (
    UPPER(number || ' ' || customer_name || ' ' || contact_person || ' ' || phone || ' ' || address)
    gin_trgm_ops
);
"""
BACKWARD = "DROP INDEX IF EXISTS ticket_search_trgm;"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("dispatch", "0018_event_kinds_state_stamps")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(forward, backward, elidable=False),
    ]
