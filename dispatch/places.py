"""A place on the centre's map: coordinates and/or a grid. Read from tickets, home bases and
grids (dispatch.models); the travel providers (planning.travel) take these. Also the one check of
a pin typed in (clean_coordinates), used when a ticket is opened."""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from .errors import RuleViolation


@dataclass(frozen=True)
class Place:
    latitude: float | None = None
    longitude: float | None = None
    grid_id: int | None = None

    @property
    def has_point(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    @property
    def known(self) -> bool:
        return self.has_point or self.grid_id is not None


UNKNOWN = Place()


def _float(value) -> float | None:
    return None if value is None else float(value)


def place_of(latitude, longitude, grid_id=None) -> Place:
    return Place(_float(latitude), _float(longitude), grid_id)


def ticket_place(ticket) -> Place:
    return place_of(ticket.latitude, ticket.longitude, ticket.grid_id)


def home_place(base) -> Place:
    if base is None:
        return UNKNOWN
    return place_of(base.home_latitude, base.home_longitude, base.home_grid_id)


def _decimal(value, field: str, low: int, high: int, label: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise RuleViolation(
            "invalid_coordinates",
            _("Enter the %(label)s as a number.") % {"label": label},
            field=field,
        ) from exc
    if not number.is_finite() or not low <= number <= high:
        raise RuleViolation(
            "invalid_coordinates",
            _("The %(label)s must be between %(low)s and %(high)s.")
            % {"label": label, "low": low, "high": high},
            field=field,
        )
    return number.quantize(Decimal("0.000001"))


def clean_coordinates(latitude, longitude) -> tuple[Decimal | None, Decimal | None]:
    """A pin is a pair: both numbers in range, or neither."""
    lat = _decimal(latitude, "latitude", -90, 90, _("latitude"))
    lng = _decimal(longitude, "longitude", -180, 180, _("longitude"))
    if (lat is None) != (lng is None):
        raise RuleViolation(
            "invalid_coordinates",
            _("Give both the latitude and the longitude, or neither."),
            field="longitude" if lng is None else "latitude",
        )
    return lat, lng
