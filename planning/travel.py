"""Travel minutes between places, from a provider chosen by setting (PLANNING["TRAVEL_PROVIDER"]):

- "embedded" (default): the centre's grid-to-grid table (GridTravel, edited in the admin) where it
  has the pair, else the straight-line (haversine) distance × a road factor at a configured speed,
  else a cautious default for a place nobody located;
- "amap": AMap's (高德) distance API, GET /v3/distance with origins, destination and type, the key
  by setting; a place without coordinates, or an answer that does not come, falls back to the
  embedded estimate (and the log says so);
- or the dotted path of a class with the same two methods.

Every provider answers `minutes_to(origins, destination)` (many to one, the shape of AMap's API)
and `matrix(places)`. Minutes are whole and never negative.
"""

import json
import logging
import math
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence

from django.conf import settings
from django.utils.module_loading import import_string

from dispatch.models import Grid, GridTravel
from dispatch.places import Place

log = logging.getLogger(__name__)
EARTH_KM = 6371.0088


def setting(name: str):
    return settings.PLANNING[name]


def haversine_km(a: Place, b: Place) -> float:
    lat1, lng1, lat2, lng2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    )
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(h)))


class EmbeddedTravel:
    """The grid table first, then straight line × road factor at the configured speed."""

    def __init__(self):
        self.table: dict[tuple[int, int], int] = {
            (o, d): m
            for o, d, m in GridTravel.objects.values_list("origin", "destination", "minutes")
        }
        self.centres: dict[int, Place] = {
            pk: Place(float(lat), float(lng), pk)
            for pk, lat, lng in Grid.objects.filter(latitude__isnull=False).values_list(
                "pk", "latitude", "longitude"
            )
        }
        self.speed_kmh = float(setting("SPEED_KMH"))
        self.road_factor = float(setting("ROAD_FACTOR"))
        self.unknown = int(setting("UNKNOWN_TRAVEL_MINUTES"))
        self.same_grid = int(setting("SAME_GRID_MINUTES"))

    def _point(self, place: Place) -> Place | None:
        if place.has_point:
            return place
        return self.centres.get(place.grid_id) if place.grid_id is not None else None

    def between(self, a: Place, b: Place) -> int:
        if a.grid_id is not None and b.grid_id is not None:
            known = self.table.get((a.grid_id, b.grid_id))
            if known is None:
                known = self.table.get((b.grid_id, a.grid_id))
            if known is not None:
                return known
        pa, pb = self._point(a), self._point(b)
        if pa is not None and pb is not None:
            km = haversine_km(pa, pb) * self.road_factor
            return math.ceil(km / self.speed_kmh * 60)
        if a.grid_id is not None and a.grid_id == b.grid_id:
            return self.same_grid
        return self.unknown

    def minutes_to(self, origins: Sequence[Place], destination: Place) -> list[int]:
        return [self.between(origin, destination) for origin in origins]

    def matrix(self, places: Sequence[Place]) -> list[list[int]]:
        return [
            [0 if i == j else self.between(a, b) for j, b in enumerate(places)]
            for i, a in enumerate(places)
        ]


class AMapTravel:
    """AMap's distance measurement API (路径距离): GET {URL}?key=&origins=lng,lat|…&destination=
    lng,lat&type=1 answers {"status": "1", "results": [{"origin_id", "dest_id", "distance",
    "duration"}]}, duration in seconds, at most 100 origins a request. Coordinates are sent as
    stored (AMap reads GCJ-02)."""

    MAX_ORIGINS = 100

    def __init__(self, fallback: EmbeddedTravel | None = None):
        self.fallback = fallback or EmbeddedTravel()
        self.url = setting("AMAP_URL")
        self.key = setting("AMAP_KEY")
        self.timeout = float(setting("AMAP_TIMEOUT_SECONDS"))
        self.kind = str(setting("AMAP_TYPE"))

    @staticmethod
    def _coords(place: Place) -> str:
        return f"{place.longitude:.6f},{place.latitude:.6f}"

    def _ask(self, origins: Sequence[Place], destination: Place) -> dict[int, int]:
        query = urllib.parse.urlencode(
            {
                "key": self.key,
                "origins": "|".join(self._coords(o) for o in origins),
                "destination": self._coords(destination),
                "type": self.kind,
                "output": "json",
            }
        )
        with urllib.request.urlopen(f"{self.url}?{query}", timeout=self.timeout) as response:
            body = json.loads(response.read().decode("utf-8"))
        if str(body.get("status")) != "1":
            raise ValueError(f"AMap answered {body.get('info')!r} ({body.get('infocode')})")
        answer = {}
        for row in body.get("results") or []:
            answer[int(row["origin_id"]) - 1] = math.ceil(float(row["duration"]) / 60)
        return answer

    def minutes_to(self, origins: Sequence[Place], destination: Place) -> list[int]:
        minutes = self.fallback.minutes_to(origins, destination)
        if not destination.has_point or not self.key:
            return minutes
        located = [i for i, origin in enumerate(origins) if origin.has_point]
        for first in range(0, len(located), self.MAX_ORIGINS):
            batch = located[first : first + self.MAX_ORIGINS]
            try:
                answer = self._ask([origins[i] for i in batch], destination)
            except (OSError, ValueError, KeyError, TypeError, urllib.error.URLError) as exc:
                log.warning("AMap distance unavailable, using the embedded estimate: %s", exc)
                return minutes
            for position, i in enumerate(batch):
                if position in answer:
                    minutes[i] = answer[position]
        return minutes

    def matrix(self, places: Sequence[Place]) -> list[list[int]]:
        columns = [self.minutes_to(places, destination) for destination in places]
        return [
            [0 if i == j else columns[j][i] for j in range(len(places))] for i in range(len(places))
        ]


PROVIDERS = {"embedded": EmbeddedTravel, "amap": AMapTravel}


def provider():
    """A provider for one request or one run (it reads the grid table once)."""
    name = setting("TRAVEL_PROVIDER")
    return (PROVIDERS.get(name) or import_string(name))()
