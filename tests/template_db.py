"""One migrated test database per run, copied for each xdist worker.

pytest-django gives each worker a database of its own (test_<name>_gw0, _gw1 …) and migrates
each: the same 40-odd migrations once per worker, the largest setup cost of a parallel run.
Here the first worker to get there migrates test_<name>_template, under a file lock; every worker
then copies it (CREATE DATABASE … TEMPLATE, a file copy inside PostgreSQL). The template stays
between runs, stamped with a digest of every migration file Django loads: a run whose
migrations differ (a new one, a renumbered one after a rebase) builds it again.
"""

import fcntl
import hashlib
import tempfile
from contextlib import contextmanager
from pathlib import Path

import django
from django.conf import settings
from django.db import connections


def migrations_stamp() -> str:
    """A digest of the migration files of every installed app, Django's own included."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    digest = hashlib.sha256(django.get_version().encode())
    for key in sorted(loader.disk_migrations):
        module = loader.disk_migrations[key].__module__
        digest.update(f"{key}\n".encode())
        digest.update(Path(__import__(module, fromlist=["_"]).__file__).read_bytes())
    return digest.hexdigest()


@contextmanager
def locked(name: str):
    """Serialise the workers (and concurrent runs on this machine) around the template."""
    with open(Path(tempfile.gettempdir()) / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _stamp_of(creation, name: str) -> str | None:
    with creation._nodb_cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database"
            " WHERE datname = %s",
            [name],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def setup_worker_database(*, worker: str, verbosity: int, rebuild_for: str = "") -> str:
    """Make this worker's test database a copy of the (fresh) template; return the name the
    connection had before (the one to restore when the run ends). rebuild_for: the run's id,
    to build the template again once in that run (pytest --create-db)."""
    connection = connections["default"]
    creation = connection.creation
    original = connection.settings_dict["NAME"]
    test = connection.settings_dict["TEST"]
    worker_name = test["NAME"]  # pytest-django's: test_<name>_<worker>
    template = worker_name.removesuffix(f"_{worker}") + "_template"
    stamp = f"{migrations_stamp()} {rebuild_for}".strip()
    quote = connection.ops.quote_name
    with locked(template):
        if _stamp_of(creation, template) != stamp:
            test["NAME"] = template
            try:
                creation.create_test_db(
                    verbosity=verbosity, autoclobber=True, serialize=False, keepdb=False
                )
            finally:
                test["NAME"] = worker_name
            with creation._nodb_cursor() as cursor:
                cursor.execute(f"COMMENT ON DATABASE {quote(template)} IS '{stamp}'")  # hex digits
        # No session may be connected to the template while it is copied.
        connection.close()
        with creation._nodb_cursor() as cursor:
            # FORCE: a run killed mid-way may have left sessions on its copy.
            cursor.execute(f"DROP DATABASE IF EXISTS {quote(worker_name)} WITH (FORCE)")
            cursor.execute(f"CREATE DATABASE {quote(worker_name)} TEMPLATE {quote(template)}")
    connection.settings_dict["NAME"] = worker_name
    settings.DATABASES[connection.alias]["NAME"] = worker_name
    return original


def teardown_worker_database(original: str, *, verbosity: int) -> None:
    """Drop this worker's copy (the template stays for the next run)."""
    connections["default"].creation.destroy_test_db(original, verbosity, keepdb=False)
