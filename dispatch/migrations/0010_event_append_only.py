"""The audit trail is append-only in the database itself, not only in the ORM (docs/design.md):
on PostgreSQL an UPDATE or DELETE of an event row fails whoever sends it (a raw query, a bulk
update, the cascade of a deleted ticket). Maintenance that must rewrite history (the demo loader
backdating a fictional past, the benchmark's clean up) says so for its own transaction with
dispatch.db.history_maintenance().

SQLite, the embedded database of `make run`, keeps only the ORM's guard: it has no per-session
setting a trigger could read, so the demo could not load its past there."""

from django.db import migrations

FORWARD = """
CREATE FUNCTION dispatch_event_append_only() RETURNS trigger AS $$
BEGIN
    IF current_setting('seed.history_maintenance', true) = 'on' THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    RAISE EXCEPTION 'dispatch_event is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER dispatch_event_append_only
    BEFORE UPDATE OR DELETE ON dispatch_event
    FOR EACH ROW EXECUTE FUNCTION dispatch_event_append_only();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS dispatch_event_append_only ON dispatch_event;
DROP FUNCTION IF EXISTS dispatch_event_append_only();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("dispatch", "0009_heartbeat")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
