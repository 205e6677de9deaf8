from django import template

from dispatch.people import display_name

register = template.Library()


@register.filter
def get_item(mapping, key):
    """{{ row.averages|get_item:q.code }}: a dict lookup by a variable key."""
    return mapping.get(key) if hasattr(mapping, "get") else None


# {{ visit.engineer|person }}: the one rule for names (李强, Ann Lee), dispatch.people.
register.filter("person", display_name)
