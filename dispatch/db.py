"""Database helpers shared by the apps."""

from contextlib import contextmanager

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import FloatField, Func


class TsTzRange(Func):
    """PostgreSQL's tstzrange(start, end) with the default '[)' bounds: adjacent ranges don't
    overlap, so a visit may start when the previous one ends."""

    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class Epoch(Func):
    """A moment as seconds since 1970 (UTC), a float: for a page that reads thousands of
    moments. Django reads a timestamptz through a loader written in Python (~3.5 µs a value;
    a week's board has 13,000), a float8 through psycopg's C one. date_part, not EXTRACT,
    which computes a numeric first (+4 ms of SQL for a week's board, not +1.5). Exact to the
    microsecond on PostgreSQL; SQLite keeps milliseconds, and so does this."""

    output_field = FloatField()
    template = "date_part('epoch', %(expressions)s)"
    arity = 1

    @property
    def convert_value(self):
        return self._convert_value_noop  # read as a float already: no float() per row

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="ROUND((julianday(%(expressions)s) - 2440587.5) * 86400.0, 3)",
            **extra_context,
        )


class PostgresExclusionConstraint(ExclusionConstraint):
    """An exclusion constraint that exists on PostgreSQL and is a no-op elsewhere.

    The embedded SQLite of `make run` has no EXCLUDE (`near "EXCLUDE": syntax error`). Returning
    no SQL there keeps the model state identical on both databases, including when SQLite
    rebuilds a table; the service layer keeps the rule with a friendly message on both.
    """

    def constraint_sql(self, model, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().constraint_sql(model, schema_editor)

    def create_sql(self, model, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().create_sql(model, schema_editor)

    def remove_sql(self, model, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().remove_sql(model, schema_editor)

    def validate(self, model, instance, exclude=None, using=DEFAULT_DB_ALIAS):
        if connections[using].vendor != "postgresql":
            return
        super().validate(model, instance, exclude=exclude, using=using)


@contextmanager
def history_maintenance(using: str = DEFAULT_DB_ALIAS):
    """Allow rewriting audit events within this block only (PostgreSQL's trigger, migration
    dispatch 0010): for maintenance that fabricates or removes whole histories, the demo loader
    and the benchmark's clean up. Nothing a user does reaches it."""
    connection = connections[using]
    with transaction.atomic(using=using):
        if connection.vendor != "postgresql":
            yield
            return
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('seed.history_maintenance', 'on', true)")
            try:
                with transaction.atomic(using=using):  # a failure rolls back to here only
                    yield
            finally:
                # Off again, also when this block is a savepoint inside a longer transaction.
                cursor.execute("SELECT set_config('seed.history_maintenance', 'off', true)")
