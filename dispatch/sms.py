"""Customer SMS as (template, parameters) (docs/design.md#messages, R26 in docs/rules.md).

A gateway in mainland China sends only templates the centre registered with it: our message is
the provider's template code plus the values of its variables. So every customer SMS is one of
the templates declared here (by the app that owns it, with `customer_sms`) plus parameters:

- `templates/sms/<name>.txt` is the standard phrasing (R26). It reads nothing but the template's
  variables, so the text the outbox shows staff and the text the centre registers with its
  provider come from the same file: `manage.py sms_templates aliyun|tencent` prints the latter,
  with `${name}` (Aliyun) or `{1}` (Tencent) in each variable's place.
- `values(context)` turns the caller's objects (a visit, a reason) into the variables' strings.
- the variables' kinds carry the provider's limits (length, characters), checked when the message
  is created (`check_parameters`): a value the gateway would refuse is a RuleViolation, in words,
  before anything is written.
- settings.SMS["TEMPLATE_CODES"] maps our template names to the provider's codes.

R23: a variable that carries a secret of the customer's phone (a survey link, a code) holds
customer_secrets.MARK in the stored parameters; the sending backend fills it in (`customer_params`).
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import dateformat, timezone, translation
from django.utils.translation import gettext as _

from .customer_secrets import MARK, fill, secret_for
from .errors import RuleViolation

CUSTOMER_LANGUAGE = "zh-hans"


class Kind:
    """What a variable holds; each provider limits each kind (its "variable property")."""

    NAME = "name"  # a person's name
    TEXT = "text"  # other text: a place, a problem, a reason
    TIME = "time"  # a date or a time
    NUMBER = "number"  # a count, minutes
    PHONE = "phone"  # a landline or hotline number
    CODE = "code"  # a one-time code (the verification-code property)
    LINK = "link"  # a link


# The longest value of each kind, by provider, from their published variable rules:
# - Aliyun (notification templates applied for since 2018-01-10): each variable 1–35 characters;
#   a verification code 4–6 characters; a landline or hotline at most 15.
# - Tencent Cloud: a verification code at most 6 digits; other variables are capped per kind
#   (12 for names and numbers, 35 for other text, as the centre's enterprise account is granted);
#   links are not allowed in variables at all.
# A centre granted longer variables on application sets SMS_VARIABLE_LIMITS (JSON, merged over
# these). Characters: a Chinese character, a letter, a digit, a space each count one.
PROVIDER_LIMITS: dict[str, dict[str, int]] = {
    "aliyun": {
        Kind.NAME: 35,
        Kind.TEXT: 35,
        Kind.TIME: 35,
        Kind.NUMBER: 35,
        Kind.PHONE: 15,
        Kind.CODE: 6,
        Kind.LINK: 35,
    },
    "tencent": {
        Kind.NAME: 12,
        Kind.TEXT: 35,
        Kind.TIME: 20,
        Kind.NUMBER: 12,
        Kind.PHONE: 15,
        Kind.CODE: 6,
        Kind.LINK: 0,
    },
}

# Never in a variable: 【】 mark the signature and would be taken for one.
FORBIDDEN = re.compile(r"[【】]")


@dataclass(frozen=True)
class SmsTemplate:
    name: str
    # Variable → kind, as the provider's template declares them.
    variables: dict[str, str]
    # The caller's context ({"ticket", **context}) → each variable's value.
    values: Callable[[dict], dict]
    # What each variable is, in words, for the error a too-long value gives.
    labels: dict[str, object] = field(default_factory=dict)
    # The variable that carries the secret of the customer's phone (R23), if any.
    secret: str = ""
    # What the message is, in words (the outbox, the ticket, the dashboard).
    label: object = ""


TEMPLATES: dict[str, SmsTemplate] = {}


def customer_sms(
    name: str,
    *,
    variables: dict[str, str],
    values: Callable[[dict], dict],
    labels: dict | None = None,
    secret: str = "",
    label,
) -> SmsTemplate:
    """Declare a customer SMS template (the app that owns it calls this at import), with what it
    is in words (`label`, translatable): the outbox shows that, never the template's name."""
    template = SmsTemplate(name, dict(variables), values, dict(labels or {}), secret, label)
    TEMPLATES[name] = template
    return template


def template(name: str) -> SmsTemplate:
    try:
        return TEMPLATES[name]
    except KeyError:
        raise LookupError(
            f"SMS template {name!r} is not declared: declare it with dispatch.sms.customer_sms()."
        ) from None


def local(value, fmt: str) -> str:
    """A date or time as the customer reads it (local time). `fmt` is translated, as in a
    template's |date filter."""
    if value is None:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return dateformat.format(value, _(fmt))


def parameters(name: str, context: dict) -> dict[str, str]:
    """The variables' values for the caller's context, in the customer's language."""
    spec = template(name)
    with translation.override(CUSTOMER_LANGUAGE):
        values = spec.values(context)
    missing = set(spec.variables) - set(values)
    if missing:
        raise ValueError(f"SMS {name!r}: no value for {sorted(missing)}.")
    return {var: str(values[var]).strip() for var in spec.variables}


def render(name: str, params: dict, language: str = CUSTOMER_LANGUAGE) -> str:
    """The SMS text: the template read with the parameters alone."""
    with translation.override(language):
        return render_to_string(f"sms/{name}.txt", dict(params)).strip()


# --- the provider's side -------------------------------------------------------------------


def provider_limits(provider: str | None) -> dict[str, int]:
    """The limits for a provider, with the centre's overrides (settings.SMS VARIABLE_LIMITS)."""
    limits = dict(PROVIDER_LIMITS.get(provider or "", {}))
    overrides = settings.SMS.get("VARIABLE_LIMITS") or {}
    if isinstance(overrides, str):
        overrides = json.loads(overrides)
    limits.update(overrides.get(provider, {}) if provider in overrides else {})
    return limits


def _label(spec: SmsTemplate, var: str) -> str:
    return str(spec.labels.get(var) or var)


def check_parameters(
    name: str, params: dict, *, provider: str | None, secret_length: int | None = None
):
    """Raise RuleViolation, in words, for every value the provider's gateway would refuse. The
    secret's place counts as `secret_length` characters (its real length, known to the app)."""
    if not provider:
        return
    spec = template(name)
    limits = provider_limits(provider)
    problems = []
    for var, kind in spec.variables.items():
        value = params.get(var, "")
        length = len(value)
        if var == spec.secret and secret_length is not None:
            length = length - len(MARK) + secret_length
        limit = limits.get(kind)
        if limit is not None and length > limit:
            if limit == 0:
                problems.append(
                    _("%(what)s can't be sent in an SMS variable through this provider.")
                    % {"what": _label(spec, var)}
                )
            else:
                problems.append(
                    _("%(what)s is %(n)d characters long; the SMS allows at most %(limit)d.")
                    % {"what": _label(spec, var), "n": length, "limit": limit}
                )
        if FORBIDDEN.search(value):
            problems.append(
                _("%(what)s may not contain 【 or 】 in an SMS.") % {"what": _label(spec, var)}
            )
    if problems:
        raise RuleViolation("sms_parameter_invalid", " ".join(problems))


def template_code(name: str) -> str:
    """The provider's code of our template (settings.SMS TEMPLATE_CODES), or ""."""
    codes = settings.SMS.get("TEMPLATE_CODES") or {}
    return str(codes.get(name, ""))


def ordered_variables(name: str) -> list[str]:
    """The variables in the order they appear in the text (Tencent's {1}, {2} …)."""
    spec = template(name)
    marked = render(name, {var: f"\x00{var}\x00" for var in spec.variables})
    order = re.findall(r"\x00(\w+)\x00", marked)
    seen = []
    for var in order:
        if var not in seen:
            seen.append(var)
    return seen + [var for var in spec.variables if var not in seen]


def provider_text(name: str, provider: str) -> str:
    """The template's text as the centre registers it with the provider."""
    spec = template(name)
    if provider == "tencent":
        order = ordered_variables(name)
        placeholders = {var: f"{{{order.index(var) + 1}}}" for var in spec.variables}
    else:
        placeholders = {var: f"${{{var}}}" for var in spec.variables}
    return render(name, placeholders)


def customer_params(notification) -> dict[str, str]:
    """The parameters the customer's phone gets: the secret in its place (R23). Only a backend
    that sends calls this."""
    params = dict(notification.params or {})
    spec = TEMPLATES.get(notification.template)
    if spec and spec.secret and notification.secret_ref:
        params[spec.secret] = fill(params.get(spec.secret, ""), secret_for(notification))
    return params
