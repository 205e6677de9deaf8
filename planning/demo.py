"""Demo data for planning: the centre's grids with their minutes, engineers' home bases, every
demo ticket placed by its district, and tomorrow booked so that the day optimizer has something
to move (each engineer sent across town)."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from dispatch import services as ticket_services
from dispatch.dates import local_moment
from dispatch.errors import RuleViolation
from dispatch.models import ComplaintKind, EngineerBase, Grid, GridTravel, Team, Ticket
from visits import services as visit_services

# District → (grid, latitude, longitude of its centre), Guangzhou.
GRIDS = {
    "天河区": ("天河北网格", "23.137500", "113.321000"),
    "越秀区": ("越秀中网格", "23.129100", "113.264400"),
    "海珠区": ("海珠东网格", "23.098900", "113.317200"),
    "番禺区": ("番禺市桥网格", "22.937500", "113.384000"),
    "白云区": ("白云机场路网格", "23.185300", "113.270600"),
    "黄埔区": ("黄埔开发区网格", "23.181600", "113.480900"),
    "荔湾区": ("荔湾芳村网格", "23.107900", "113.241400"),
}
# Minutes the centre knows better than a straight line (river crossings at rush hour).
TABLE = [("海珠东网格", "天河北网格", 25), ("番禺市桥网格", "天河北网格", 60)]
HOMES = {"engineer1": "天河区", "engineer2": "海珠区", "engineer3": "越秀区"}
TEAMS = {"天河区": "天河一组", "海珠区": "天河一组", "越秀区": "越秀二组", "荔湾区": "越秀二组"}


def _grids() -> dict[str, Grid]:
    teams = {team.name: team for team in Team.objects.all()}
    grids = {}
    for district, (name, lat, lng) in GRIDS.items():
        grids[district], _ = Grid.objects.get_or_create(
            name=name,
            defaults={
                "latitude": Decimal(lat),
                "longitude": Decimal(lng),
                "team": teams.get(TEAMS.get(district, "")),
            },
        )
    by_name = {g.name: g for g in grids.values()}
    for origin, destination, minutes in TABLE:
        GridTravel.objects.get_or_create(
            origin=by_name[origin], destination=by_name[destination], defaults={"minutes": minutes}
        )
    return grids


def _place(ticket: Ticket, grids: dict[str, Grid], rng) -> None:
    """Demo tickets are taken without a pin; the demo places each in its district's grid, a
    little off the grid's centre. (A ticket's place is set at intake by the form or the API.)"""
    for district, grid in grids.items():
        if district in ticket.address:
            Ticket.objects.filter(pk=ticket.pk).update(
                grid=grid,
                latitude=grid.latitude + Decimal(rng.randint(-90, 90)) / 10000,
                longitude=grid.longitude + Decimal(rng.randint(-90, 90)) / 10000,
            )
            return


def _bases(demo, grids) -> None:
    for username, district in HOMES.items():
        grid = grids[district]
        base, _ = EngineerBase.objects.get_or_create(
            engineer=demo.staff[username],
            defaults={
                "home_latitude": grid.latitude,
                "home_longitude": grid.longitude,
                "home_grid": grid,
            },
        )
        base.grids.add(grid)


def _tomorrow_across_town(demo, grids) -> None:
    """Tomorrow, each engineer is booked in the other's district: the optimizer's case."""
    dispatcher = demo.staff["dispatcher"]
    day = timezone.localdate() + timedelta(days=1)
    plan = [
        ("engineer3", "天河区", "天河区天河路 385 号", 9),
        ("engineer1", "越秀区", "越秀区北京路 128 号", 10),
        ("engineer3", "海珠区", "海珠区江南大道中 180 号", 13),
        ("engineer1", "荔湾区", "荔湾区中山八路 10 号", 15),
        ("engineer2", "越秀区", "越秀区东风中路 300 号", 16),
    ]
    for i, (username, district, address, hour) in enumerate(plan):
        grid = grids[district]
        ticket = ticket_services.open_ticket(
            actor=dispatcher,
            kind=ComplaintKind.SOLVE,
            customer_name=f"明日客户{i + 1}",
            contact_person=f"明日客户{i + 1}",
            phone=f"1350013500{i}",
            address=f"广州市{address}",
            phenomenon="室内信号弱，通话断续",
            location_detail="客厅",
            customer_action="在家接打电话时",
            latitude=grid.latitude,
            longitude=grid.longitude,
            grid=grid,
        )
        for shift in range(8):  # the visits demo may hold that hour already (R7)
            start = local_moment(day) + timedelta(hours=hour + shift)
            try:
                visit_services.book_visit(
                    actor=dispatcher,
                    ticket=ticket,
                    engineer=demo.staff[username],
                    start=start,
                    end=start + timedelta(hours=1),
                )
                break
            except RuleViolation:
                continue


def _waiting_for_a_visit(demo, grids) -> None:
    """A placed ticket with no visit yet: its booking page shows suggestions."""
    grid = grids["天河区"]
    ticket = ticket_services.open_ticket(
        actor=demo.staff["dispatcher"],
        kind=ComplaintKind.SOLVE,
        customer_name="林先生",
        contact_person="林先生",
        phone="13500135099",
        address="广州市天河区天河北路 233 号",
        phenomenon="5G 信号时有时无",
        location_detail="书房",
        customer_action="开视频会议时",
        latitude=grid.latitude + Decimal("0.004"),
        longitude=grid.longitude - Decimal("0.003"),
        grid=grid,
    )
    demo.tickets.append(ticket)


def seed(demo) -> None:
    grids = _grids()
    for ticket in demo.tickets:
        _place(ticket, grids, demo.rng)
    _bases(demo, grids)
    _tomorrow_across_town(demo, grids)
    _waiting_for_a_visit(demo, grids)
