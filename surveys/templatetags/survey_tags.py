from django import template

from dispatch.people import display_name

register = template.Library()


@register.filter
def get_item(mapping, key):
    """{{ row.averages|get_item:q.code }}: a dict lookup by a variable key."""
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def person(user):
    """{{ visit.engineer|person }}: 李强, not 强 李."""
    return display_name(user)
