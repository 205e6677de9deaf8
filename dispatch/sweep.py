"""The deadline sweep (docs/design.md#deadlines), run by Celery beat every minute (config/celery.py)
and by `manage.py sweep`.

Each deadline of the rules (R6 acknowledgement, R8 re-confirmation, R9 arrival, which an R10
late notice moves to the new time it promises, R13 visit note, R15 reply) is a row; whoever
creates it, with or without a visit, the sweep treats them alike:

- due and still open → marked overdue, a "deadline.overdue" event on the ticket, and one in-app
  alert per recipient (the person responsible, the ticket's owner when the deadline belongs to a
  visit, every supervisor);
- due within settings.SEED_RULES["DUE_SOON_MINUTES"] and not yet warned → one warning to the
  person responsible, and `warned_at` stamped.

Exactly once: rows are taken with `SELECT … FOR UPDATE SKIP LOCKED` (PostgreSQL; on SQLite the
single writer serialises the transactions), changed in the same transaction as the alerts are
written, and every alert has a unique key (deadline, what, recipient). Two sweeps at once, two
beat processes or a retried task can't notify twice. Work goes in batches, one transaction each,
so a sweep after a long outage doesn't hold locks on thousands of rows.
"""

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from types import SimpleNamespace

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import rules
from .delivery import schedule_delivery
from .events import deadline_overdue_events
from .models import (
    Deadline,
    DeadlineKind,
    DeadlineState,
    Event,
    EventKind,
    Notification,
    NotificationChannel,
    Ticket,
)
from .notifications import notify_staff, staff_alert_body
from .people import display_name
from .selectors import active_supervisors

User = get_user_model()

# A sweep stops after this many batches; the next run (a minute later) carries on.
MAX_BATCHES = 50


@dataclass
class SweepResult:
    overdue: int = 0
    warned: int = 0
    alerts: int = 0


def _batch_size() -> int:
    return settings.DEADLINE_SWEEP["BATCH_SIZE"]


def recipients(deadline: Deadline, supervisor_list: list) -> list:
    """Who hears of a missed deadline: the person responsible; for a visit's deadline also the
    ticket's first-contact owner (R3), who answers to the customer; and every supervisor."""
    people = [deadline.responsible]
    if deadline.visit_id:
        people.append(deadline.ticket.owner)
    people.extend(supervisor_list)
    seen, result = set(), []
    for person in people:
        if person.is_active and person.pk not in seen:
            seen.add(person.pk)
            result.append(person)
    return result


def alert_key(deadline: Deadline, what: str, user) -> str:
    return f"deadline:{deadline.pk}:{what}:{user.pk}"


def _lock(qs, size: int, *fields: str) -> list:
    """Lock up to `size` rows of `qs` (SKIP LOCKED: a concurrent sweep takes others): one small
    query without joins. Their ids, or (id, *fields) tuples."""
    qs = qs.select_for_update(skip_locked=True, of=("self",)).order_by("due_at", "id")
    if fields:
        return list(qs.values_list("pk", *fields)[:size])
    return list(qs.values_list("pk", flat=True)[:size])


def _take(qs, size: int) -> list[Deadline]:
    """Lock up to `size` rows of `qs`, then read them with what the alerts need."""
    ids = _lock(qs, size)
    if not ids:
        return []
    return list(
        Deadline.objects.filter(pk__in=ids)
        .select_related("ticket__owner", "visit", "responsible")
        .order_by("due_at", "id")
    )


def _due_open(now: datetime):
    # Served by the partial index deadline_open_due (due_at WHERE state = 'open').
    return Deadline.objects.filter(state=DeadlineState.OPEN, due_at__lte=now)


def _moment(value: datetime) -> str:
    return timezone.localtime(value).strftime("%m-%d %H:%M")


def _context(deadline: Deadline) -> dict:
    person = deadline.responsible
    return {
        "visit": deadline.visit,
        "responsible_name": display_name(person),
        "due": _moment(deadline.due_at),
        "start": _moment(deadline.visit.start) if deadline.visit_id else "",
    }


# Stand-ins for what each overdue deadline fills into its alert and event, so the templates
# render once per kind (and with or without a visit), not once per deadline.
NUMBER, DUE, WHO, START = (f"\x1e{name}\x1e" for name in ("number", "due", "who", "start"))


def _texts() -> tuple[list[str], list[str], list[str], list[str]]:
    return _texts_in(settings.LANGUAGE_CODE)


@lru_cache(maxsize=4)
def _texts_in(language: str) -> tuple[list[str], list[str], list[str], list[str]]:
    """Per kind: its event message and its alert body with and without a visit, rendered once
    (per process and language) with the stand-ins in place of the deadline's facts."""
    kinds, messages, with_visit, without = [], [], [], []
    for kind, _label in DeadlineKind.choices:
        stand_in = Deadline(kind=kind)
        with translation.override(language):
            message = _("%(kind)s was due at %(due)s") % {
                "kind": stand_in.get_kind_display(),
                "due": DUE,
            }
        kinds.append(kind)
        messages.append(message)
        for visit, out in ((SimpleNamespace(), with_visit), (None, without)):
            out.append(
                staff_alert_body(
                    "deadline_overdue",
                    ticket=SimpleNamespace(number=NUMBER),
                    deadline=stand_in,
                    context={"visit": visit, "responsible_name": WHO, "due": DUE, "start": START},
                )
            )
    return kinds, messages, with_visit, without


def _fill(column: str) -> str:
    """SQL: the stand-ins of `column` replaced by the deadline's facts (of the CTE `f`)."""
    sql = column
    for mark, fact in ((NUMBER, "f.number"), (DUE, "f.due_text"), (WHO, "f.who")):
        sql = f"replace({sql}, '{mark}', {fact})"
    return f"replace({sql}, '{START}', coalesce(f.start_text, ''))"


def _names(user_ids) -> dict[int, str]:
    """The names of these people as every page and alert shows them (dispatch.people.
    display_name: 王芳, but Ann Lee), for the statement to fill in."""
    people = User.objects.filter(pk__in=user_ids).only("pk", "username", "first_name", "last_name")
    return {person.pk: display_name(person) for person in people}


@dataclass
class _Run:
    """What one sweep run reads once for all its batches rather than once per batch (make
    bench, "10,000 due at once": 50 batches): the active supervisors, and the names of the
    people responsible, read as new ones turn up."""

    now: datetime
    size: int
    result: SweepResult
    supervisors: list = field(default_factory=list)  # the users
    names: dict[int, str] = field(default_factory=dict)

    @classmethod
    def begin(cls, now: datetime, size: int, result: SweepResult) -> "_Run":
        return cls(now, size, result, list(active_supervisors()))

    def names_of(self, user_ids) -> tuple[list[int], list[str]]:
        user_ids = set(user_ids)
        missing = user_ids - self.names.keys()
        if missing:
            self.names |= _names(missing)
        pairs = [(pk, self.names[pk]) for pk in user_ids if pk in self.names]
        return [pk for pk, _name in pairs], [name for _pk, name in pairs]


def _overdue_sql() -> str:
    """One statement per batch (PostgreSQL), on the rows the batch has locked: mark them
    overdue, write their events and their alerts (unique key: exactly once) — INSERT … SELECT,
    no row passes through Python (docs/benchmarks.md, "Sweep"). Only the names of the people
    responsible are read in Python (`_names`, once a run): one rule for names."""
    # The visit's table through the deadline's foreign key, as the ORM reaches it.
    visit_model = Deadline._meta.get_field("visit").related_model
    d, t, v = Deadline._meta.db_table, Ticket._meta.db_table, visit_model._meta.db_table
    e, n, u = Event._meta.db_table, Notification._meta.db_table, User._meta.db_table
    return f"""
WITH due AS (
    UPDATE {d} SET state = %(overdue)s, overdue_at = %(now)s
    WHERE state = ANY(%(may_become_overdue)s) AND id = ANY(%(ids)s)
    RETURNING id, kind, due_at, ticket_id, visit_id, responsible_id
), f AS (
    SELECT due.*, t.number, t.owner_id, p.username, p.is_active AS responsible_active,
        coalesce(w.name, p.username) AS who,
        to_char(due.due_at AT TIME ZONE %(tz)s, 'MM-DD HH24:MI') AS due_text,
        to_char(v.start AT TIME ZONE %(tz)s, 'MM-DD HH24:MI') AS start_text,
        k.message, CASE WHEN due.visit_id IS NULL THEN k.without ELSE k.with_visit END AS body
    FROM due JOIN {t} t ON t.id = due.ticket_id JOIN {u} p ON p.id = due.responsible_id
    LEFT JOIN {v} v ON v.id = due.visit_id
    LEFT JOIN unnest(%(who_ids)s::bigint[], %(who_names)s::text[]) AS w(user_id, name)
        ON w.user_id = due.responsible_id
    JOIN unnest(%(kinds)s::text[], %(messages)s::text[], %(with_visit)s::text[],
        %(without)s::text[]) AS k(kind, message, with_visit, without) ON k.kind = due.kind
), events AS (
    INSERT INTO {e} (ticket_id, visit_id, actor_id, kind, message, before, after, created_at)
    SELECT f.ticket_id, f.visit_id, NULL, %(event_kind)s,
        left(replace(f.message, '{DUE}', f.due_text), 500), '{{}}'::jsonb,
        jsonb_build_object('deadline', f.id, 'kind', f.kind, 'due_at', f.due_at,
            'responsible', f.username), %(now)s
    FROM f RETURNING 1
), recipients AS (
    SELECT f.id, f.responsible_id AS user_id FROM f WHERE f.responsible_active
    UNION
    SELECT f.id, f.owner_id FROM f JOIN {u} o ON o.id = f.owner_id
    WHERE f.visit_id IS NOT NULL AND o.is_active
    UNION
    SELECT f.id, s.user_id FROM f CROSS JOIN unnest(%(supervisors)s::int[]) AS s(user_id)
), alerts AS (
    INSERT INTO {n} (key, channel, recipient_id, to_phone, ticket_id, deadline_id, template,
        body, params, secret_ref, state, urgent, attempts, last_error, external_id,
        outcome_unknown, problem, created_at)
    SELECT 'deadline:' || f.id || ':overdue:' || r.user_id, 'in_app', r.user_id, '',
        f.ticket_id, f.id, 'deadline_overdue', {_fill("f.body")}, '{{}}'::jsonb, '', 'pending',
        true, 0, '', '', false, '', %(now)s
    FROM f JOIN recipients r ON r.id = f.id
    ON CONFLICT (key) DO NOTHING RETURNING 1
)
SELECT (SELECT count(*) FROM due), (SELECT count(*) FROM alerts), (SELECT count(*) FROM events)
"""


@transaction.atomic
def _overdue_batch(run: _Run) -> int:
    if connection.vendor != "postgresql":
        return _overdue_batch_rows(run)
    locked = _lock(_due_open(run.now), run.size, "responsible_id")
    if not locked:
        return 0
    ids = [pk for pk, _responsible in locked]
    now, result = run.now, run.result
    kinds, messages, with_visit, without = _texts()
    who_ids, who_names = run.names_of(responsible for _pk, responsible in locked)
    with connection.cursor() as cursor:
        cursor.execute(
            _overdue_sql(),
            {
                "now": now,
                "ids": ids,
                # The deadline's map (DEADLINE_TRANSITIONS) and the event's kind, as elsewhere.
                "overdue": DeadlineState.OVERDUE.value,
                "may_become_overdue": sorted(Deadline.states.sources(DeadlineState.OVERDUE)),
                "event_kind": EventKind.DEADLINE_OVERDUE.value,
                "tz": settings.TIME_ZONE,
                "kinds": kinds,
                "messages": messages,
                "with_visit": with_visit,
                "without": without,
                "supervisors": [person.pk for person in run.supervisors],
                "who_ids": who_ids,
                "who_names": who_names,
            },
        )
        overdue, alerts, _events = cursor.fetchone()
    result.alerts += alerts
    result.overdue += overdue
    return overdue


def _overdue_batch_rows(run: _Run) -> int:
    """The same batch row by row in Python, for SQLite (`make run`), which has neither
    data-modifying CTEs nor FOR UPDATE."""
    now, size, result, supervisor_list = run.now, run.size, run.result, run.supervisors
    rows = _take(_due_open(now), size)
    if not rows:
        return 0
    Deadline.states.update(
        Deadline.objects.filter(pk__in=[d.pk for d in rows]), DeadlineState.OVERDUE, overdue_at=now
    )
    # Written in bulk: one INSERT of events and one of alerts per batch (make bench: 10,000 due
    # deadlines with five alerts each took 150 s one row at a time). The alert's body doesn't
    # depend on its recipient, so it is rendered once per deadline.
    missed, alerts = [], []
    for deadline in rows:
        deadline.state, deadline.overdue_at = DeadlineState.OVERDUE, now
        with translation.override(settings.LANGUAGE_CODE):
            message = _("%(kind)s was due at %(due)s") % {
                "kind": deadline.get_kind_display(),
                "due": _moment(deadline.due_at),
            }
        missed.append((deadline, message))
        body = None
        for user in recipients(deadline, supervisor_list):
            if body is None:
                body = staff_alert_body(
                    "deadline_overdue",
                    ticket=deadline.ticket,
                    deadline=deadline,
                    context=_context(deadline),
                )
            alerts.append(
                Notification(
                    key=alert_key(deadline, "overdue", user),
                    channel=NotificationChannel.IN_APP,
                    recipient=user,
                    ticket=deadline.ticket,
                    deadline=deadline,
                    template="deadline_overdue",
                    body=body,
                    urgent=True,
                )
            )
    deadline_overdue_events(missed)
    # Exactly once: the unique key drops an alert another sweep already wrote.
    Notification.objects.bulk_create(alerts, ignore_conflicts=True)
    result.alerts += len(alerts)
    result.overdue += len(rows)
    return len(rows)


@transaction.atomic
def _warn_batch(now: datetime, size: int, result: SweepResult) -> int:
    horizon = now + rules.due_soon_window()
    rows = _take(
        Deadline.objects.filter(
            state=DeadlineState.OPEN, due_at__gt=now, due_at__lte=horizon, warned_at__isnull=True
        ),
        size,
    )
    if not rows:
        return 0
    Deadline.objects.filter(pk__in=[d.pk for d in rows], warned_at__isnull=True).update(
        warned_at=now
    )
    for deadline in rows:
        if deadline.responsible.is_active:
            notify_staff(
                user=deadline.responsible,
                template="deadline_due_soon",
                context=_context(deadline),
                ticket=deadline.ticket,
                deadline=deadline,
                key=alert_key(deadline, "due_soon", deadline.responsible),
            )
            result.alerts += 1
    result.warned += len(rows)
    return len(rows)


def _probe_sql() -> str:
    """Is anything due, or due soon and not yet warned? Each half is the first entry of the
    partial index deadline_open_due (due_at WHERE state = 'open') in due_at order: `min()`
    over an indexed column is planned as that whatever the statistics say (as EXISTS, the
    planner chose a sequential scan of every deadline when its estimates were stale), the
    first an index-only scan; the second reads the few rows of the next minutes, all warned
    when nothing is to do. No lock, no transaction: one round trip."""
    d, open_ = Deadline._meta.db_table, DeadlineState.OPEN.value
    assert open_.isidentifier()  # a literal, so the planner matches the partial index
    return f"""
SELECT coalesce((SELECT min(due_at) FROM {d} WHERE state = '{open_}') <= %(now)s, false)
    OR coalesce((SELECT min(due_at) FROM {d} WHERE state = '{open_}' AND due_at > %(now)s
        AND warned_at IS NULL) <= %(horizon)s, false)
"""


def _anything_to_do(now: datetime) -> bool:
    """The sweep runs every minute and mostly finds nothing: it asks this once, before taking
    any row (make bench, "Empty sweep": ≤ 1 ms of database time). A deadline that falls due
    right after the probe is swept by the next run, as one due right after the batches is."""
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            _probe_sql(),
            {"now": adapt(now), "horizon": adapt(now + rules.due_soon_window())},
        )
        return bool(cursor.fetchone()[0])


def sweep_deadlines(*, now: datetime | None = None) -> SweepResult:
    """Mark what is overdue and warn what is due soon. Safe to run twice, or twice at once."""
    now = now or timezone.now()
    size = _batch_size()
    result = SweepResult()
    if not _anything_to_do(now):
        return result
    run = _Run.begin(now, size, result)
    # Delivery is asked for when the first batch with alerts has committed (they go at once),
    # then once more at the end for the rest: two broker round trips a run, not one a batch. A
    # sweep that dies between batches leaves its committed alerts to the periodic delivery.
    asked_at = 0
    for _batch in range(MAX_BATCHES):
        taken = _overdue_batch(run)
        if result.alerts and not asked_at:
            schedule_delivery()
            asked_at = result.alerts
        if taken < size:
            break
    if result.alerts > asked_at:
        schedule_delivery()
    for _batch in range(MAX_BATCHES):
        if _warn_batch(now, size, result) < size:
            break
    return result
