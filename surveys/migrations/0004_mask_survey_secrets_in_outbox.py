"""R23: survey links and codes were stored in clear in the outbox. Mask them in every stored
row, and make what was exposed useless: the live SMS links are revoked (the engineer issues a
new one, derived at send time from now on) and the pending codes are cleared (the customer asks
for a new one). Messages still waiting to be sent are marked failed: their text no longer holds
the link.

The ticket's timeline may quote such a text too ("Message sent again" copied the body). The
audit trail is append-only in the database (dispatch 0010), so those rows stay as they are:
what they quote opens nothing any more, because every link and code they could name is revoked
or cleared here.

Not reversible in substance: the secrets are gone, which is the point.
"""

import re

from django.db import migrations
from django.utils import timezone

MARK = "••••••"  # dispatch.customer_secrets.MARK, as of this migration
TOKEN_IN_URL = re.compile(r"(/survey/s/)[^/\s]+(/)")
CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")
GONE = "Not sent: the survey link or code is no longer stored; issue a new link."


def mask(template: str, text: str) -> str:
    if template == "survey_code":
        return CODE.sub(MARK, text)
    return TOKEN_IN_URL.sub(rf"\g<1>{MARK}\g<2>", text)


def forwards(apps, schema_editor):
    Notification = apps.get_model("dispatch", "Notification")
    SurveyLink = apps.get_model("surveys", "SurveyLink")
    now = timezone.now()

    rows = Notification.objects.filter(template__in=["survey_link", "survey_code"], secret_ref="")
    for n in rows.iterator():
        body = mask(n.template, n.body)
        fields = {"body": body}
        if n.state in ("pending", "sending"):
            fields.update(state="failed", claimed_at=None, last_error=GONE)
        Notification.objects.filter(pk=n.pk).update(**fields)

    SurveyLink.objects.filter(channel="sms", used_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=now
    )
    SurveyLink.objects.filter(used_at__isnull=True).exclude(code_hash="").update(code_hash="")


class Migration(migrations.Migration):
    dependencies = [
        ("dispatch", "0011_notification_secret_ref"),
        ("surveys", "0003_surveylink_secret_nonce"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
