from datetime import timedelta

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def minutes(delta: timedelta) -> int:
    """{{ cooloff_timedelta|minutes }}: a login lockout's length in whole minutes, rounded up."""
    return -(-int(delta.total_seconds()) // 60)


@register.filter
def from_now(delta: timedelta):
    """{{ cooloff_timedelta|from_now|time:"H:i" }}: when a lockout starting now ends. Axes
    starts it again at each attempt made while locked, this one included."""
    return timezone.localtime(timezone.now() + delta)
