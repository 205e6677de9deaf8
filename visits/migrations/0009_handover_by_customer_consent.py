"""R16: the customer's consent comes from the customer (a one-time SMS code), and a handover
books a successor visit for the receiving engineer (issue 12 item 5).

Handovers recorded before this change were the engineer's own tick, always stored as true, and
changed the visit's engineer in place: they become confirmed records whose consent method says
so ("engineer_tick"), at the time they were made.
"""

import django.db.models.deletion
import phonenumber_field.modelfields
from django.conf import settings
from django.db import migrations, models


def mark_old_handovers(apps, schema_editor):
    VisitHandover = apps.get_model("visits", "VisitHandover")
    VisitHandover.objects.update(
        state="confirmed", consent_method="engineer_tick", consented_at=models.F("created_at")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("dispatch", "0012_deadline_kind_no_late_notice"),
        ("visits", "0008_visit_self_checked_at"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="visithandover",
            options={
                "ordering": ["created_at", "id"],
                "verbose_name": "visit handover",
                "verbose_name_plural": "visit handovers",
            },
        ),
        migrations.RemoveConstraint(
            model_name="visit",
            name="visit_status_valid",
        ),
        migrations.RemoveConstraint(
            model_name="visithandover",
            name="handover_needs_consent",
        ),
        migrations.RemoveField(
            model_name="visithandover",
            name="customer_consented",
        ),
        migrations.RenameField(
            model_name="visithandover",
            old_name="actor",
            new_name="requested_by",
        ),
        migrations.AddField(
            model_name="visit",
            name="handed_over_from",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="handed_over_to",
                to="visits.visit",
            ),
        ),
        migrations.AddField(
            model_name="visithandover",
            name="code_attempts",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="codes tried"),
        ),
        migrations.AddField(
            model_name="visithandover",
            name="code_expires_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="code valid until"),
        ),
        migrations.AddField(
            model_name="visithandover",
            name="code_hash",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="visithandover",
            name="consent_channel",
            field=models.CharField(
                blank=True,
                choices=[
                    ("page", "The customer's screen on the engineer's phone"),
                    ("api", "The engineer's phone app"),
                ],
                max_length=10,
                verbose_name="consent typed on",
            ),
        ),
        migrations.AddField(
            model_name="visithandover",
            name="consent_device_user",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="phone the code was typed on (session)",
            ),
        ),
        migrations.AddField(
            model_name="visithandover",
            name="consent_method",
            field=models.CharField(
                blank=True,
                choices=[
                    ("sms_code", "The customer typed the code sent to their phone"),
                    ("engineer_tick", "Ticked by the engineer (before consent by code)"),
                ],
                max_length=20,
                verbose_name="consent given by",
            ),
        ),
        migrations.AddField(
            model_name="visithandover",
            name="consented_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="customer agreed at"),
        ),
        migrations.AddField(
            model_name="visithandover",
            name="end",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="receiving engineer's end"
            ),
        ),
        migrations.AddField(
            model_name="visithandover",
            name="phone",
            field=phonenumber_field.modelfields.PhoneNumberField(
                blank=True, max_length=128, region="CN", verbose_name="customer phone"
            ),
        ),
        migrations.AddField(
            model_name="visithandover",
            name="reason",
            field=models.CharField(
                blank=True, max_length=100, verbose_name="reason given to the customer"
            ),
        ),
        migrations.AddField(
            model_name="visithandover",
            name="secret_nonce",
            field=models.CharField(blank=True, editable=False, max_length=32),
        ),
        migrations.AddField(
            model_name="visithandover",
            name="start",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="receiving engineer's start"
            ),
        ),
        migrations.AddField(
            model_name="visithandover",
            name="state",
            field=models.CharField(
                choices=[
                    ("pending", "Waiting for the customer's code"),
                    ("confirmed", "Agreed by the customer"),
                    ("superseded", "Replaced by a newer request"),
                    ("locked", "Refused after too many wrong codes"),
                ],
                default="pending",
                max_length=12,
                verbose_name="state",
            ),
        ),
        migrations.AlterField(
            model_name="visit",
            name="status",
            field=models.CharField(
                choices=[
                    ("booked", "Booked"),
                    ("confirmed", "Confirmed"),
                    ("en_route", "En route"),
                    ("arrived", "Arrived"),
                    ("at_work", "At work"),
                    ("no_answer", "No answer"),
                    ("resolved", "Resolved"),
                    ("unresolved", "Unresolved"),
                    ("replied", "Replied"),
                    ("rescheduled", "Rescheduled"),
                    ("cancelled", "Cancelled"),
                    ("handed_over", "Handed over mid-visit"),
                ],
                default="booked",
                max_length=20,
                verbose_name="status",
            ),
        ),
        migrations.AlterField(
            model_name="visithandover",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True, verbose_name="requested at"),
        ),
        migrations.AlterField(
            model_name="visithandover",
            name="to_engineer",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="handovers_taken",
                to=settings.AUTH_USER_MODEL,
                verbose_name="receiving engineer",
            ),
        ),
        migrations.RunPython(mark_old_handovers, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="visit",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "status__in",
                        [
                            "booked",
                            "confirmed",
                            "en_route",
                            "arrived",
                            "at_work",
                            "no_answer",
                            "resolved",
                            "unresolved",
                            "replied",
                            "rescheduled",
                            "cancelled",
                            "handed_over",
                        ],
                    )
                ),
                name="visit_status_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="visithandover",
            constraint=models.CheckConstraint(
                condition=models.Q(("state__in", ["pending", "confirmed", "superseded", "locked"])),
                name="handover_state_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="visithandover",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("state", "confirmed"), _negated=True),
                    models.Q(
                        ("consented_at__isnull", False),
                        models.Q(("consent_method", ""), _negated=True),
                    ),
                    _connector="OR",
                ),
                name="handover_confirmed_has_consent",
            ),
        ),
        migrations.AddConstraint(
            model_name="visithandover",
            constraint=models.CheckConstraint(
                condition=models.Q(("end__gt", models.F("start"))), name="handover_end_after_start"
            ),
        ),
        migrations.AddConstraint(
            model_name="visithandover",
            constraint=models.UniqueConstraint(
                condition=models.Q(("state", "pending")),
                fields=("visit",),
                name="handover_one_pending",
            ),
        ),
        migrations.AddConstraint(
            model_name="visithandover",
            constraint=models.UniqueConstraint(
                condition=models.Q(("consent_method", "sms_code"), ("state", "confirmed")),
                fields=("visit",),
                name="handover_one_confirmed",
            ),
        ),
    ]
