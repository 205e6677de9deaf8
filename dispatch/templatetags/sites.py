from django import template

from dispatch.sites import site_url as _site_url

register = template.Library()


@register.simple_tag
def site_url() -> str:
    """{% site_url %}: the site's public address (SITE_URL), with its trailing slash. A
    registered SMS template holds it as fixed text (visits/templates/sms/visit_link.txt)."""
    return _site_url()
