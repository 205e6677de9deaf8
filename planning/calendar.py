"""A visit as an iCalendar file (RFC 5545) for the customer's phone (issue 17). Hand-written:
no iCalendar library is installed, and one event needs little. CRLF line ends, TEXT values
escaped (§3.3.11), lines folded at 75 octets (§3.1), times in UTC (the "Z" form), a UID that
stays the same for the visit, DTSTAMP when the file is made."""

from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.people import display_name

CRLF = "\r\n"


def escape(text: str) -> str:
    """A TEXT value: backslash, semicolon, comma and new lines escaped."""
    return (
        str(text)
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after CRLF and a space, never
    inside a UTF-8 character."""
    out, current = [], b""
    for char in line:
        encoded = char.encode()
        limit = 75 if not out else 74  # a continuation line starts with the space
        if len(current) + len(encoded) > limit:
            out.append(current.decode())
            current = b""
        current += encoded
    out.append(current.decode())
    return (CRLF + " ").join(out)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def visit_calendar(visit, now: datetime | None = None) -> str:
    ticket = visit.ticket
    host = (getattr(settings, "SITE_URL", "") or "dispatch.local").split("//")[-1].strip("/")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Network service dispatch//Visit//ZH",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:visit-{visit.pk}@{host}",
        f"DTSTAMP:{_utc(now or timezone.now())}",
        f"DTSTART:{_utc(visit.start)}",
        f"DTEND:{_utc(visit.end)}",
        "SUMMARY:" + escape(_("On-site network test")),
        "LOCATION:" + escape(" ".join(p for p in [ticket.address, ticket.location_detail] if p)),
        "DESCRIPTION:" + escape(_("Engineer: %(name)s") % {"name": display_name(visit.engineer)}),
        "STATUS:CONFIRMED",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return CRLF.join(fold(line) for line in lines) + CRLF
