"""The survey's customer SMS (R23, R26, see docs/rules.md), each one of the templates the centre
registers with its SMS provider (dispatch.sms). The link and the code are the customer's
secrets: the outbox keeps a mask in their place, the sending backend fills them in."""

from django.utils.translation import gettext_lazy as _

from dispatch.sms import Kind, customer_sms, local

LABELS = {
    "name": _("customer name"),
    "engineer": _("engineer's name"),
    "url": _("survey link"),
    "code": _("survey code"),
}

customer_sms(
    "survey_link",
    label=_("Survey link"),
    variables={"name": Kind.NAME, "engineer": Kind.NAME, "url": Kind.LINK, "until": Kind.TIME},
    values=lambda c: {
        "name": c["ticket"].customer_name,
        "engineer": c["engineer_name"],
        "url": c["url"],
        "until": local(c["expires_at"], "n/j H:i"),
    },
    labels=LABELS,
    secret="url",
)
customer_sms(
    "survey_code",
    label=_("Survey code"),
    variables={"code": Kind.CODE, "minutes": Kind.NUMBER},
    values=lambda c: {"code": c["code"], "minutes": c["minutes"]},
    labels=LABELS,
    secret="code",
)
customer_sms(
    "survey_closing",
    label=_("Closing message"),
    variables={"name": Kind.NAME},
    values=lambda c: {"name": c["ticket"].customer_name},
    labels=LABELS,
)
