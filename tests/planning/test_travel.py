"""Travel minutes (issue 19): the centre's grid table first, the straight line otherwise, and
AMap's distance API by setting, against a loopback fake of it (no mocked HTTP client)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from dispatch.models import GridTravel
from dispatch.places import Place
from planning import travel
from tests.planning.conftest import PANYU, TIANHE

pytestmark = pytest.mark.django_db

HOME = Place(float(TIANHE[0]), float(TIANHE[1]))
SOUTH = Place(float(PANYU[0]), float(PANYU[1]))


def test_straight_line_times_the_road_factor_at_the_speed(settings):
    settings.PLANNING = {**settings.PLANNING, "SPEED_KMH": 30, "ROAD_FACTOR": 1.5}
    km = travel.haversine_km(HOME, SOUTH)
    assert 22 < km < 24
    minutes = travel.EmbeddedTravel().between(HOME, SOUTH)
    assert minutes == -(-km * 1.5 / 30 * 60 // 1)


def test_the_grid_table_takes_precedence_and_reads_both_ways(tianhe, panyu):
    GridTravel.objects.create(origin=tianhe, destination=panyu, minutes=95)
    a = Place(HOME.latitude, HOME.longitude, tianhe.pk)
    b = Place(SOUTH.latitude, SOUTH.longitude, panyu.pk)
    embedded = travel.EmbeddedTravel()
    assert embedded.between(a, b) == 95
    assert embedded.between(b, a) == 95


def test_a_place_known_by_its_grid_only_uses_the_grid_centre(tianhe, panyu):
    embedded = travel.EmbeddedTravel()
    by_grid = embedded.between(Place(grid_id=tianhe.pk), Place(grid_id=panyu.pk))
    assert by_grid == embedded.between(HOME, SOUTH)


def test_nobody_located_gets_the_cautious_default(settings):
    settings.PLANNING = {**settings.PLANNING, "UNKNOWN_TRAVEL_MINUTES": 50}
    assert travel.EmbeddedTravel().between(Place(), SOUTH) == 50


class FakeAMap(BaseHTTPRequestHandler):
    """AMap's /v3/distance: origins lng,lat|…, one destination; duration in seconds."""

    calls: list = []
    answer_status = "1"

    def do_GET(self):  # noqa: N802
        query = parse_qs(urlparse(self.path).query)
        FakeAMap.calls.append(query)
        origins = query["origins"][0].split("|")
        results = [
            {"origin_id": str(i), "dest_id": "1", "distance": "1000", "duration": str(600 * i)}
            for i in range(1, len(origins) + 1)
        ]
        body = {"status": FakeAMap.answer_status, "info": "OK", "results": results}
        if FakeAMap.answer_status != "1":
            body = {"status": "0", "info": "INVALID_USER_KEY", "infocode": "10001"}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def amap(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeAMap)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeAMap.calls = []
    FakeAMap.answer_status = "1"
    settings.PLANNING = {
        **settings.PLANNING,
        "TRAVEL_PROVIDER": "amap",
        "AMAP_URL": f"http://127.0.0.1:{server.server_port}/v3/distance",
        "AMAP_KEY": "test-key",
        "AMAP_TYPE": 1,
    }
    yield FakeAMap
    server.shutdown()
    server.server_close()


def test_amap_is_asked_once_for_many_origins(amap):
    provider = travel.provider()
    assert isinstance(provider, travel.AMapTravel)
    minutes = provider.minutes_to([HOME, SOUTH], SOUTH)
    assert minutes == [10, 20]
    (query,) = amap.calls
    assert query["key"] == ["test-key"]
    assert query["type"] == ["1"]
    assert query["destination"] == ["113.384000,22.937500"]
    assert query["origins"] == ["113.321000,23.137500|113.384000,22.937500"]


def test_amap_leaves_unlocated_places_to_the_embedded_estimate(amap, settings):
    minutes = travel.provider().minutes_to([Place(), HOME], SOUTH)
    assert minutes == [settings.PLANNING["UNKNOWN_TRAVEL_MINUTES"], 10]
    assert amap.calls[0]["origins"] == ["113.321000,23.137500"]


def test_amap_refusing_falls_back_to_the_embedded_estimate(amap):
    amap.answer_status = "0"
    minutes = travel.provider().minutes_to([HOME], SOUTH)
    assert minutes == [travel.EmbeddedTravel().between(HOME, SOUTH)]


def test_amap_unreachable_falls_back_too(amap, settings):
    settings.PLANNING = {**settings.PLANNING, "AMAP_URL": "http://127.0.0.1:9/v3/distance"}
    assert travel.provider().minutes_to([HOME], SOUTH) == [
        travel.EmbeddedTravel().between(HOME, SOUTH)
    ]
