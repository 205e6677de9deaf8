from django import template

from ..people import display_name

register = template.Library()


@register.filter
def person(user) -> str:
    """{{ user|person }}: the name as colleagues say it (李强)."""
    return display_name(user)
