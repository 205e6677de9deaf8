"""The days a person may enter or filter by, and the one conversion of a local day to a moment.

Python's dates stop at the years 1 and 9999: a local midnight near either end overflows when it
is moved by a day or converted to UTC for the database, and a request that asked for it ended in
a 500 (issue 11). Every date or date-time a form, a serializer or a filter takes is held to
[EARLIEST_DAY, LATEST_DAY], with a message that says so; no visit of the centre falls outside.
"""

from datetime import date, datetime, time, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .errors import RuleViolation

EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2099, 12, 31)
# Days computed from an entered one (the end of its week, a default period before it) may step
# a little outside the range; the conversion below accepts them, nothing further.
_MARGIN = timedelta(days=366)


def _out_of_range_message() -> str:
    return _("Choose a date between %(earliest)s and %(latest)s.") % {
        "earliest": EARLIEST_DAY.isoformat(),
        "latest": LATEST_DAY.isoformat(),
    }


def validate_day(value: date | datetime) -> None:
    """The validator of every date and date-time field that people fill in."""
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise ValidationError(_out_of_range_message(), code="date_out_of_range")


def local_moment(day: date, clock: time = time.min) -> datetime:
    """The aware moment at `clock` on `day` in the centre's time zone (midnight by default).
    The one place a local day becomes a moment: a day that slipped past the fields' validation
    is refused here as bad input, never left to overflow."""
    if not EARLIEST_DAY - _MARGIN <= day <= LATEST_DAY + _MARGIN:
        raise RuleViolation("date_out_of_range", _out_of_range_message())
    return timezone.make_aware(datetime.combine(day, clock))


class DayField(forms.DateField):
    default_validators = [validate_day]


class MomentField(forms.DateTimeField):
    default_validators = [validate_day]


class ApiMomentField(serializers.DateTimeField):
    def enforce_timezone(self, value):
        # Before DRF's own conversion, which overflows near the year 1 or 9999.
        try:
            validate_day(value)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages, code="date_out_of_range") from None
        return super().enforce_timezone(value)
