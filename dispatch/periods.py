"""A reporting period of whole local days, shared by the dashboard and the apps' reports."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """[since, until) as aware datetimes in the centre's time zone."""
        tz = timezone.get_current_timezone()
        return (
            datetime.combine(self.start, time.min, tzinfo=tz),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=tz),
        )

    @classmethod
    def last_days(cls, days: int) -> "Period":
        today = timezone.localdate()
        return cls(start=today - timedelta(days=days - 1), end=today)

    @classmethod
    def last_weeks(cls, weeks: int) -> "Period":
        return cls.last_days(7 * weeks)
