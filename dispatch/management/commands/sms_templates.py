"""Print each customer SMS template as the centre registers it with its SMS provider
(docs/operations.md#sms-providers): the text, with the provider's placeholders, each variable's
kind and longest value, and the code SMS_TEMPLATE_CODES maps it to (or what is missing)."""

from django.core.management.base import BaseCommand

from dispatch import sms


class Command(BaseCommand):
    help = "Print the customer SMS templates to register with Aliyun or Tencent Cloud."

    def add_arguments(self, parser):
        parser.add_argument("provider", choices=sorted(sms.PROVIDER_LIMITS))

    def handle(self, *args, provider, **options):
        limits = sms.provider_limits(provider)
        missing = []
        for name in sorted(sms.TEMPLATES):
            spec = sms.TEMPLATES[name]
            code = sms.template_code(name)
            if not code:
                missing.append(name)
            self.stdout.write(f"## {name}  →  {code or '(no code in SMS_TEMPLATE_CODES)'}")
            self.stdout.write(sms.provider_text(name, provider))
            order = sms.ordered_variables(name)
            for i, var in enumerate(order, start=1):
                kind = spec.variables[var]
                place = f"{{{i}}}" if provider == "tencent" else f"${{{var}}}"
                secret = "  (secret of the customer's phone)" if var == spec.secret else ""
                self.stdout.write(f"  {place}: {kind}, at most {limits.get(kind)}{secret}")
            self.stdout.write("")
        if missing:
            self.stdout.write(self.style.WARNING(f"No provider code yet: {', '.join(missing)}"))
