"""Where things are, for planning visits: the centre's grids (网格), the travel minutes between
them, and each engineer's home base. A ticket's own place (coordinates and grid) is on the ticket
(dispatch.Ticket). The centre edits all of it in the admin; nothing here changes a visit."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

LATITUDE = [MinValueValidator(-90), MaxValueValidator(90)]
LONGITUDE = [MinValueValidator(-180), MaxValueValidator(180)]


def latitude_field(label):
    return models.DecimalField(
        label, max_digits=9, decimal_places=6, null=True, blank=True, validators=LATITUDE
    )


def longitude_field(label):
    return models.DecimalField(
        label, max_digits=9, decimal_places=6, null=True, blank=True, validators=LONGITUDE
    )


def both_or_neither(prefix: str, name: str) -> models.CheckConstraint:
    """Coordinates come in pairs: a latitude without its longitude places nothing."""
    lat, lng = f"{prefix}latitude", f"{prefix}longitude"
    return models.CheckConstraint(
        condition=Q(**{f"{lat}__isnull": True, f"{lng}__isnull": True})
        | Q(**{f"{lat}__isnull": False, f"{lng}__isnull": False}),
        name=name,
    )


class Grid(models.Model):
    """A grid (网格) of the centre's area: tickets are placed in one, engineers cover some."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    # Where the grid is, roughly: the straight-line estimate uses it for a ticket placed only by
    # its grid.
    latitude = latitude_field(_("centre latitude"))
    longitude = longitude_field(_("centre longitude"))
    team = models.ForeignKey(
        "dispatch.Team",
        verbose_name=_("team in charge"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="grids",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        constraints = [both_or_neither("", "grid_coordinates_paired")]

    def __str__(self) -> str:
        return self.name


class GridTravel(models.Model):
    """Minutes from one grid to another, as the centre knows them (traffic, river crossings).
    Takes precedence over the straight-line estimate; a missing pair is read in reverse."""

    origin = models.ForeignKey(
        Grid, verbose_name=_("from grid"), on_delete=models.CASCADE, related_name="+"
    )
    destination = models.ForeignKey(
        Grid, verbose_name=_("to grid"), on_delete=models.CASCADE, related_name="+"
    )
    minutes = models.PositiveSmallIntegerField(
        _("minutes"), validators=[MinValueValidator(0), MaxValueValidator(600)]
    )

    class Meta:
        ordering = ["origin", "destination"]
        verbose_name = _("travel time between grids")
        verbose_name_plural = _("travel times between grids")
        constraints = [
            models.UniqueConstraint(fields=["origin", "destination"], name="grid_travel_pair"),
            models.CheckConstraint(condition=Q(minutes__lte=600), name="grid_travel_minutes"),
        ]

    def __str__(self) -> str:
        return f"{self.origin} → {self.destination}: {self.minutes}"


class EngineerBase(models.Model):
    """An engineer's home base (where the day starts and ends) and the grids they cover."""

    engineer = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("engineer"),
        on_delete=models.CASCADE,
        related_name="planning_base",
    )
    home_latitude = latitude_field(_("home base latitude"))
    home_longitude = longitude_field(_("home base longitude"))
    home_grid = models.ForeignKey(
        Grid,
        verbose_name=_("home base grid"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    grids = models.ManyToManyField(
        Grid, verbose_name=_("grids covered"), related_name="engineers", blank=True
    )

    class Meta:
        verbose_name = _("engineer's home base")
        verbose_name_plural = _("engineers' home bases")
        constraints = [both_or_neither("home_", "engineer_base_coordinates_paired")]

    def __str__(self) -> str:
        return str(self.engineer)
