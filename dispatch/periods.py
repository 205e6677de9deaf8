"""A reporting period of whole local days, shared by the dashboard and the apps' reports."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from .dates import local_moment


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """[since, until) as aware datetimes in the centre's time zone."""
        return local_moment(self.start), local_moment(self.end + timedelta(days=1))

    @classmethod
    def last_days(cls, days: int) -> "Period":
        today = timezone.localdate()
        return cls(start=today - timedelta(days=days - 1), end=today)

    @classmethod
    def last_weeks(cls, weeks: int) -> "Period":
        return cls.last_days(7 * weeks)
