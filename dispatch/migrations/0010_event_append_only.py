"""The audit trail is append-only in the database itself, not only in the ORM (docs/design.md):
an UPDATE or DELETE of an event row fails whoever sends it (a raw query, a bulk update, the
cascade of a deleted ticket). A maintenance job that must purge history (the benchmark's clean
up) says so for its own transaction with dispatch.db.purging_events()."""

from django.db import migrations

PG_FORWARD = """
CREATE FUNCTION dispatch_event_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('seed.purge_events', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'dispatch_event is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER dispatch_event_append_only
    BEFORE UPDATE OR DELETE ON dispatch_event
    FOR EACH ROW EXECUTE FUNCTION dispatch_event_append_only();
"""
PG_BACKWARD = """
DROP TRIGGER IF EXISTS dispatch_event_append_only ON dispatch_event;
DROP FUNCTION IF EXISTS dispatch_event_append_only();
"""
SQLITE_FORWARD = [
    """CREATE TRIGGER dispatch_event_no_update BEFORE UPDATE ON dispatch_event
       BEGIN SELECT RAISE(ABORT, 'dispatch_event is append-only: UPDATE refused'); END;""",
    """CREATE TRIGGER dispatch_event_no_delete BEFORE DELETE ON dispatch_event
       BEGIN SELECT RAISE(ABORT, 'dispatch_event is append-only: DELETE refused'); END;""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS dispatch_event_no_update;",
    "DROP TRIGGER IF EXISTS dispatch_event_no_delete;",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD)
    elif vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("dispatch", "0009_heartbeat")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
