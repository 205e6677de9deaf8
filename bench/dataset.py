"""The benchmark's dataset, bulk-loaded with INSERT … SELECT generate_series (one statement per
table): at the default scale (100k) 100,000 tickets, 300,000 visits (non-overlapping per
engineer), 1,000,000 deadlines with a realistic state mix, 100,000 customer contacts. The scale
multiplies the history: 10k is a tenth of it, 1m ten times (1,000,000 tickets, 3,000,000 visits,
10,000,000 deadlines); the present (the visits ahead, the tickets of the last days) is the same
at every scale, so a page that does not grow with history shows the same figure at all three.

Every deadline has its own (kind, visit) or (kind, ticket), so the sweep scenario can open all of
them without breaking the one-open-per-kind constraints."""

import time

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, models, transaction

from dispatch.models import CustomerContact, Deadline, Event, Notification, Team, Ticket
from dispatch.roles import Role
from visits.models import Visit

VERSION = 4
SCALES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
TICKETS = 100_000
VISITS = 300_000
ENGINEERS = 40
SUPERVISORS = 3
DISPATCHERS = 6
# Visit deadlines: three per visit (900,000) plus one acknowledgement per ticket (100,000).
VISIT_KINDS = ("reconfirm", "arrival", "visit_note")

User = get_user_model()


def _default_sql(field) -> str:
    if field.has_default():
        value = field.get_default()
        if isinstance(field, models.JSONField):
            return "'[]'::jsonb" if value == [] else "'{}'::jsonb"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        return "'" + str(value).replace("'", "''") + "'"
    if field.null:
        return "NULL"
    if isinstance(field, models.CharField | models.TextField):
        return "''"
    raise ValueError(f"no value for {field.model.__name__}.{field.name}")


def insert_select(model, values: dict[str, str], source: str) -> int:
    """INSERT INTO model's table SELECT <values, defaults for the rest> FROM source."""
    columns, exprs = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key and field.column not in values:
            continue
        columns.append(connection.ops.quote_name(field.column))
        exprs.append(values.get(field.column) or _default_sql(field))
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
        f"SELECT {', '.join(exprs)} FROM {source}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.rowcount


MARKER = "CREATE TABLE IF NOT EXISTS bench_dataset (version int, loaded_at timestamptz)"


# The present every scale shares: the visits of the dashboard's default period (28 days) and a
# few days more behind now, and the ~12 days booked ahead, one an hour per engineer. At 10k,
# three visits per ticket would reach back only ~19 days, so the dashboard's period would hold
# two thirds of the visits it holds at 100k and 1m, and the growth rows (1m ÷ 10k) would
# compare different amounts of the present, not of the history.
PRESENT_DAYS = 32 + 12


def set_scale(scale: str) -> None:
    """Size the dataset: `scale` tickets, three visits (at least the shared present) and ten
    deadlines per ticket."""
    global TICKETS, VISITS
    TICKETS = SCALES[scale]
    VISITS = max(3 * TICKETS, ENGINEERS * 24 * PRESENT_DAYS)


def deadlines() -> int:
    """Three per visit (re-confirmation, arrival, note) and an acknowledgement per ticket."""
    return 3 * VISITS + TICKETS


def loaded() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(MARKER)
        cursor.execute("ALTER TABLE bench_dataset ADD COLUMN IF NOT EXISTS tickets int")
        cursor.execute("SELECT version, tickets FROM bench_dataset")
        row = cursor.fetchone()
    return bool(row and row[0] == VERSION and row[1] == TICKETS)


def _user(username: str, role: str, **extra):
    user = User.objects.create_user(username=username, password=None, **extra)
    user.groups.add(Group.objects.get(name=role))
    return user


def _ids(users) -> str:
    return "ARRAY[" + ",".join(str(u.pk) for u in users) + "]"


def staff():
    """The bench's people, by role (created with the dataset)."""

    def role(name):
        return list(
            User.objects.filter(groups__name=name, username__startswith="bench-").order_by("pk")
        )

    return role(Role.DISPATCHER), role(Role.ENGINEER), role(Role.SUPERVISOR)


def _drop_indexes(models_) -> list[str]:
    """Drop the tables' indexes that back no constraint; return the statements that rebuild them."""
    tables = [m._meta.db_table for m in models_]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class t ON t.oid = i.indrelid WHERE t.relname = ANY(%s) AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
            [tables],
        )
        rows = cursor.fetchall()
        for name, _ in rows:
            cursor.execute(f"DROP INDEX {name}")
    return [definition for _, definition in rows]


def load(log) -> None:
    """Load the dataset in one transaction (PostgreSQL's DDL is transactional): a load that is
    interrupted leaves the previous dataset and every index as they were. Outside it, one
    VACUUM ANALYZE per table."""
    started = time.monotonic()
    with transaction.atomic():
        _load(log, started)
    vacuum()
    log(f"  vacuum analyze: {time.monotonic() - started:.1f} s")


def vacuum() -> None:
    """VACUUM ANALYZE the dataset's tables: after a load, and before each run, so that what the
    last run wrote and removed (the sweep's 50,000 alerts, the bookings) is not vacuumed by
    autovacuum in the middle of this run's measurements."""
    with connection.cursor() as cursor:
        for model in (Ticket, Visit, Deadline, CustomerContact, Event, Notification):
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")


def _load(log, started: float) -> None:
    with connection.cursor() as cursor:
        cursor.execute(MARKER)
        cursor.execute("DELETE FROM bench_dataset")
        tables = ", ".join(
            m._meta.db_table
            for m in (Ticket, Visit, Deadline, CustomerContact, Event, Notification, Team)
        )
        # Everything that hangs off tickets and users goes too (a bench database only).
        cursor.execute(f"TRUNCATE {tables} CASCADE")
    User.objects.filter(username__startswith="bench-").delete()

    dispatchers = [
        _user(f"bench-dispatcher{i}", Role.DISPATCHER) for i in range(1, DISPATCHERS + 1)
    ]
    engineers = [
        _user(f"bench-engineer{i:02d}", Role.ENGINEER, first_name=f"工{i}", last_name="张")
        for i in range(1, ENGINEERS + 1)
    ]
    supervisors = [
        _user(f"bench-supervisor{i}", Role.SUPERVISOR) for i in range(1, SUPERVISORS + 1)
    ]
    for t in range(4):
        team = Team.objects.create(name=f"班组{t + 1}", supervisor=supervisors[t % SUPERVISORS])
        team.members.set(engineers[t::4])
    log(f"  users: {time.monotonic() - started:.1f} s")

    # Bulk load without the secondary indexes, rebuilt once at the end (much faster than 10
    # million index insertions each); constraints' indexes stay, the load checks them.
    indexes = _drop_indexes([Ticket, Visit, Deadline, CustomerContact, Event, Notification])

    # Tickets, one every 155 s (the last ~180 days at 100k, ~5 years at 1m). Those of the
    # present (PRESENT_DAYS) 80 % closed, 12 % in progress, 8 % open; older ones closed but one
    # in a thousand, left in progress and forgotten (the open work is the present: a centre
    # doesn't keep a fifth of five years' complaints open, which the dispatcher's home page, the
    # board's waiting tickets and every "not closed" list would read as their present).
    old = f"({TICKETS} - g) * 155 > {PRESENT_DAYS * 86400}"
    closed = f"(g % 100 < 80 AND NOT {old}) OR ({old} AND g % 1000 <> 999)"
    n_disp = len(dispatchers)
    insert_select(
        Ticket,
        {
            "id": "g",
            "number": "'BN-' || lpad(g::text, 7, '0')",
            "customer_name": "'客户' || g",
            "contact_person": "'联系人' || g",
            "phone": "'+86138' || lpad((g % 100000000)::text, 8, '0')",
            "address": "'某市某区某路' || (g % 997) || '号'",
            "phenomenon": "'网速慢，晚上经常掉线'",
            "location_detail": "'客厅'",
            "customer_action": "'看视频'",
            "kind": "(ARRAY['perception','solve','difficult'])[1 + g % 3]",
            "complexity": "(ARRAY['simple','complex'])[1 + (g / 3) % 2]",
            "status": f"CASE WHEN {closed} THEN 'closed' WHEN g % 100 < 92 OR {old} "
            "THEN 'in_progress' ELSE 'open' END",
            "owner_id": f"({_ids(dispatchers)})[1 + g % {n_disp}]",
            "created_by_id": f"({_ids(dispatchers)})[1 + (g / 7) % {n_disp}]",
            "created_at": f"now() - ({TICKETS} - g) * interval '155 seconds'",
            "updated_at": f"now() - ({TICKETS} - g) * interval '155 seconds'",
            "closed_at": f"CASE WHEN {closed} THEN now() - ({TICKETS} - g) * interval "
            "'155 seconds' + interval '2 days' END",
        },
        f"generate_series(1, {TICKETS}) g",
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [Ticket._meta.db_table, TICKETS]
        )
    log(f"  tickets: {time.monotonic() - started:.1f} s")

    # Visits: engineer e's k-th visit starts at base + k hours (50 minutes long, never
    # overlapping), up to ~12 days ahead; the history behind grows with the scale (~300 days at
    # 100k, ~8.5 years at 1m). Past visits are done; ahead booked.
    per_engineer = VISITS // ENGINEERS
    start = (
        f"date_trunc('hour', now()) + interval '12 days 12 hours' "
        f"- ({per_engineer} - g / {ENGINEERS}) * interval '1 hour'"
    )
    past = f"({start}) < now()"
    insert_select(
        Visit,
        {
            "id": "g",
            "ticket_id": f"1 + g % {TICKETS}",
            "engineer_id": f"({_ids(engineers)})[1 + g % {ENGINEERS}]",
            "start": start,
            "end": f"{start} + interval '50 minutes'",
            "status": f"CASE WHEN NOT {past} THEN (ARRAY['booked','confirmed'])[1 + g % 2] "
            "WHEN g % 100 < 4 THEN 'cancelled' WHEN g % 100 < 8 THEN 'rescheduled' "
            "WHEN g % 100 < 12 THEN 'no_answer' WHEN g % 100 < 20 THEN 'replied' "
            "ELSE 'resolved' END",
            "booked_by_id": f"({_ids(dispatchers)})[1 + g % {n_disp}]",
            "reconfirmed_at": f"CASE WHEN {past} THEN {start} - interval '1 day' END",
            "kit_completed_at": f"CASE WHEN {past} AND g % 100 >= 8 THEN {start} - "
            "(g % 7 - 1) * interval '5 minutes' END",
            "arrived_at": f"CASE WHEN {past} AND g % 100 >= 8 THEN {start} + "
            "(g % 13 - 6) * interval '2 minutes' END",
            "arrival_punctual": f"CASE WHEN {past} AND g % 100 >= 8 THEN (g % 13 - 6) <= 0 END",
            "no_answer_at": f"CASE WHEN {past} AND g % 100 >= 8 AND g % 100 < 12 THEN "
            f"{start} + interval '20 minutes' END",
            "created_at": f"{start} - interval '2 days'",
            "updated_at": f"{start} + interval '1 hour'",
        },
        f"generate_series(1, {per_engineer * ENGINEERS}) g",
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
            [Visit._meta.db_table, VISITS],
        )
    log(f"  visits: {time.monotonic() - started:.1f} s")

    # Deadlines: three per visit, one acknowledgement per ticket. Of the past ones 93 % met,
    # 3 % missed and later kept, 1 % missed and never kept, 3 % cancelled; ahead, open.
    state = (
        "CASE WHEN due > now() + interval '3 hours' THEN 'open' WHEN g % 100 < 3 THEN 'cancelled' "
        "WHEN g % 100 < 7 THEN 'overdue' ELSE 'met' END"
    )
    common = {
        "state": state,
        "met_at": "CASE WHEN due > now() + interval '3 hours' OR g % 100 < 3 THEN NULL "
        "WHEN g % 100 < 6 THEN due + interval '40 minutes' WHEN g % 100 < 7 THEN NULL "
        "ELSE due - interval '10 minutes' END",
        "overdue_at": "CASE WHEN due <= now() + interval '3 hours' AND g % 100 BETWEEN 3 AND 6 "
        "THEN due + interval '1 minute' END",
        "cancelled_at": "CASE WHEN due <= now() + interval '3 hours' AND g % 100 < 3 THEN due "
        "- interval '1 hour' END",
        "due_at": "due",
    }
    offsets = {
        "reconfirm": "- interval '1 day'",
        "arrival": "",
        "visit_note": "+ interval '2 hours'",
    }
    for i, kind in enumerate(VISIT_KINDS):
        insert_select(
            Deadline,
            {
                **common,
                "kind": f"'{kind}'",
                "ticket_id": "v.ticket_id",
                "visit_id": "v.id",
                "responsible_id": "v.engineer_id",
                "created_at": "v.created_at",
            },
            f"(SELECT v.*, v.id * 3 + {i} AS g, v.start {offsets[kind]} AS due "
            f"FROM {Visit._meta.db_table} v) v",
        )
        log(f"  deadlines ({kind}): {time.monotonic() - started:.1f} s")
    insert_select(
        Deadline,
        {
            **common,
            "kind": "'acknowledge'",
            "ticket_id": "t.id",
            "visit_id": "NULL",
            "responsible_id": "t.owner_id",
            "created_at": "t.created_at",
        },
        f"(SELECT t.*, t.id AS g, t.created_at + interval '2 hours' AS due "
        f"FROM {Ticket._meta.db_table} t) t",
    )
    log(f"  deadlines (acknowledge): {time.monotonic() - started:.1f} s")
    insert_select(
        CustomerContact,
        {
            "ticket_id": "t.id",
            "actor_id": "t.owner_id",
            "channel": "'phone'",
            "progress": "'已联系客户，说明处理进度'",
            "answered": "true",
            "created_at": "t.created_at + interval '1 hour'",
        },
        f"{Ticket._meta.db_table} t",
    )
    _events_and_messages(log, started, supervisors)
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        # Django's foreign keys are checked at commit; an index can't be built on a table with
        # checks pending, so they run now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for sql in indexes:
            cursor.execute(sql)
    log(f"  contacts, indexes rebuilt: {time.monotonic() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE bench_dataset ADD COLUMN IF NOT EXISTS tickets int")
        cursor.execute(
            "INSERT INTO bench_dataset (version, loaded_at, tickets) VALUES (%s, now(), %s)",
            [VERSION, TICKETS],
        )


def _events_and_messages(log, started: float, supervisors) -> None:
    """What the history leaves besides its rows: an event for every ticket taken and every visit
    booked; the booking SMS of every visit (97 % delivered, 2 % sent with no receipt, 1 %
    failed); and for every deadline that was missed (kept later or never) the in-app alert to
    the person responsible and to each supervisor, read after an hour unless it is from the
    last two days. At 1m: 4 million events, 3 million SMS, 1.6 million alerts, 400,000 of them
    each supervisor's. The pages that read events and messages (the dashboard's failed SMS and
    what customers did today, the alerts page, the outbox) must not read them all."""
    insert_select(
        Event,
        {
            "ticket_id": "t.id",
            "actor_id": "t.created_by_id",
            "kind": "'ticket.opened'",
            "message": "''",
            "created_at": "t.created_at",
        },
        f"{Ticket._meta.db_table} t",
    )
    insert_select(
        Event,
        {
            "ticket_id": "v.ticket_id",
            "visit_id": "v.id",
            "actor_id": "v.booked_by_id",
            "kind": "'visit.booked'",
            "message": "''",
            "created_at": "v.created_at",
        },
        f"{Visit._meta.db_table} v",
    )
    log(f"  events: {time.monotonic() - started:.1f} s")
    sent = "v.created_at + interval '1 minute'"
    insert_select(
        Notification,
        {
            "key": "'visit:' || v.id || ':booked'",
            "channel": "'sms'",
            "to_phone": "t.phone",
            "ticket_id": "v.ticket_id",
            "template": "'visit_booked'",
            "body": "'【网络中心】您的上门测试已预约'",
            "state": "CASE WHEN v.id % 100 = 0 THEN 'failed' WHEN v.id % 100 < 3 THEN 'sent' "
            "ELSE 'delivered' END",
            "attempts": "1",
            "last_error": "CASE WHEN v.id % 100 = 0 THEN 'isv.MOBILE_NUMBER_ILLEGAL' ELSE '' END",
            "problem": "CASE WHEN v.id % 100 = 0 THEN 'invalid_number' ELSE '' END",
            "sent_at": f"CASE WHEN v.id % 100 = 0 THEN NULL ELSE {sent} END",
            "delivered_at": f"CASE WHEN v.id % 100 >= 3 THEN {sent} + interval '5 seconds' END",
            "attempted_at": sent,
            "created_at": "v.created_at",
        },
        f"{Visit._meta.db_table} v JOIN {Ticket._meta.db_table} t ON t.id = v.ticket_id",
    )
    recipients = "ARRAY[d.responsible_id] || " + _ids(supervisors)
    insert_select(
        Notification,
        {
            "key": "'deadline:' || d.id || ':overdue:' || r.user_id",
            "channel": "'in_app'",
            "recipient_id": "r.user_id",
            "ticket_id": "d.ticket_id",
            "deadline_id": "d.id",
            "template": "'deadline_overdue'",
            "body": "'已超时：' || d.ticket_id",
            "state": "'sent'",
            "sent_at": "d.overdue_at",
            "read_at": "CASE WHEN d.overdue_at < now() - interval '2 days' "
            "THEN d.overdue_at + interval '1 hour' END",
            "created_at": "d.overdue_at",
        },
        f"{Deadline._meta.db_table} d CROSS JOIN unnest({recipients}) r(user_id) "
        "WHERE d.overdue_at IS NOT NULL",
    )
    log(f"  messages: {time.monotonic() - started:.1f} s")
